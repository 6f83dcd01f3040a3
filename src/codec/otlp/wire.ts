/**
 * The shapes protobufjs produces when it decodes the OTLP schema of ./schema.ts (with
 * long.js present: 64-bit fields are Long-like, bytes are Buffers or Uint8Arrays, absent
 * messages are null, absent scalars read their default from the prototype).
 */
import type { WireLong } from './scalars.js';

export interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: WireLong;
  doubleValue?: number;
  arrayValue?: { values: WireAnyValue[] } | null;
  kvlistValue?: { values: WireKeyValue[] } | null;
  bytesValue?: Uint8Array;
}

export interface WireKeyValue {
  key: string;
  value: WireAnyValue | null;
}

export interface WireResource {
  attributes: WireKeyValue[];
  droppedAttributesCount: number;
}

export interface WireScope {
  name: string;
  version: string;
  attributes: WireKeyValue[];
  droppedAttributesCount: number;
}

export interface WireEvent {
  timeUnixNano: WireLong;
  name: string;
  attributes: WireKeyValue[];
  droppedAttributesCount: number;
}

export interface WireLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: WireKeyValue[];
  droppedAttributesCount: number;
  flags: number;
}

export interface WireSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: WireLong;
  endTimeUnixNano: WireLong;
  attributes: WireKeyValue[];
  droppedAttributesCount: number;
  events: WireEvent[];
  droppedEventsCount: number;
  links: WireLink[];
  droppedLinksCount: number;
  status: { code: number; message: string } | null;
}

export interface WireTraceRequest {
  resourceSpans: {
    resource: WireResource | null;
    schemaUrl: string;
    scopeSpans: { scope: WireScope | null; schemaUrl: string; spans: WireSpan[] }[];
  }[];
}

export interface WireLogRecord {
  timeUnixNano: WireLong;
  observedTimeUnixNano: WireLong;
  severityNumber: number;
  severityText: string;
  body: WireAnyValue | null;
  attributes: WireKeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}

export interface WireLogsRequest {
  resourceLogs: {
    resource: WireResource | null;
    schemaUrl: string;
    scopeLogs: { scope: WireScope | null; schemaUrl: string; logRecords: WireLogRecord[] }[];
  }[];
}
