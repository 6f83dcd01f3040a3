/**
 * The checks that turn a shape into a finding: a checksum, a range, a decodable credential.
 * Each takes the matched text and says whether it is what its detector claims, so a number
 * that merely looks like a card (or a time like an IPv6 address) is left alone.
 */
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type * as IbanTools from 'ibantools';
import type * as PhoneNumbers from 'libphonenumber-js/min';

// The libraries load on first use: libphonenumber's metadata takes a noticeable part of a
// second to load, which every daemon start and CLI command would otherwise pay.
const require = createRequire(import.meta.url);
let phones: typeof PhoneNumbers | undefined;
let ibans: typeof IbanTools | undefined;

const NON_DIGITS = /\D/g;

/** The Luhn (mod 10) checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// Issuer ranges of the card networks (Mastercard 22-27 and 5x, Amex, Diners and JCB 30-38,
// Visa 4x, Maestro, Discover and UnionPay 5x/6x): a Luhn-valid number outside them is far more
// likely an id or a timestamp (which start with 1) than a card.
const CARD_PREFIX = /^(?:2[2-7]|3[0-8]|[456])/;

/** A payment card number: 13 to 19 digits (spaces or dashes between them), a card network's prefix, Luhn-valid. */
export function isCardNumber(text: string): boolean {
  const digits = text.replace(NON_DIGITS, '');
  return digits.length >= 13 && digits.length <= 19 && CARD_PREFIX.test(digits) && luhnValid(digits);
}

/** An IBAN with its country's length and format and a valid mod-97 check (ibantools). */
export function isIban(text: string): boolean {
  ibans ??= require('ibantools') as typeof IbanTools;
  const electronic = ibans.electronicFormatIBAN(text);
  return electronic !== null && ibans.isValidIBAN(electronic);
}

/**
 * A phone number: an international one (`+` and a country code) that libphonenumber finds
 * possible for its country, or a national one of 9 to 12 digits (the shapes were matched by
 * the pattern: grouped digits, a trunk prefix or an area code in parentheses).
 */
export function isPhoneNumber(text: string): boolean {
  if (text.startsWith('+')) {
    phones ??= require('libphonenumber-js/min') as typeof PhoneNumbers;
    return phones.isPossiblePhoneNumber(text);
  }
  const digits = text.replace(NON_DIGITS, '').length;
  return digits >= 9 && digits <= 12;
}

/**
 * An IPv6 address with at least two groups and five hex digits written out, so `::`, `::1`
 * and code such as `a::b` are not taken for addresses; a zone (`%eth0`) is allowed.
 */
export function isIpv6(text: string): boolean {
  const address = text.split('%', 1)[0]!;
  if (!isIPv6(address)) return false;
  const groups = address.split(':').filter((group) => group !== '');
  return groups.length >= 2 && groups.join('').length >= 5;
}

/** The credential of a `Basic` scheme: base64 of `user:password` in printable text. */
export function isBasicCredential(encoded: string): boolean {
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded) && !decoded.startsWith(':');
}

/**
 * A bearer credential rather than a word of prose ("the bearer of"): long, or with a digit.
 */
export function isBearerCredential(token: string): boolean {
  return token.length >= 20 || (token.length >= 8 && /\d/.test(token));
}

/** A key of a provider's `sk-` family rather than a word: it has both letters and digits. */
export function isKeyLike(token: string): boolean {
  return /\d/.test(token) && /[A-Za-z]/.test(token);
}
