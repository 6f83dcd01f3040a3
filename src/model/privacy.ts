/**
 * How many values of a kind the redaction stage replaced in an item, as an int attribute
 * `paracle.privacy.redactions.<kind>` on that span, log record, resource or scope. The counts
 * travel with the scrubbed data (write-ahead log, assembler, `trace.json`) to the run's
 * `privacy` block, which sums them; they are never values.
 */
export const REDACTIONS_ATTRIBUTE_PREFIX = 'paracle.privacy.redactions.';
