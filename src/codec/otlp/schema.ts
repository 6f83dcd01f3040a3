/**
 * The OTLP 1.x protobuf schema (opentelemetry-proto common/v1, resource/v1, trace/v1, logs/v1
 * and the collector trace/logs services) plus google.rpc.Status, as a protobufjs JSON
 * descriptor. Property names are the lowerCamelCase JSON names protobufjs uses on decoded
 * messages; field numbers and wire types are those of the .proto files.
 */
import protobuf from 'protobufjs';

type Fields = Record<string, protobuf.IField>;

const repeated = (type: string, id: number): protobuf.IField => ({ rule: 'repeated', type, id });

const COMMON = 'opentelemetry.proto.common.v1.';
const RESOURCE = 'opentelemetry.proto.resource.v1.Resource';
const TRACE_V1 = 'opentelemetry.proto.trace.v1.';
const LOGS_V1 = 'opentelemetry.proto.logs.v1.';

const common = {
  AnyValue: {
    oneofs: {
      value: {
        oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
      },
    },
    fields: {
      stringValue: { type: 'string', id: 1 },
      boolValue: { type: 'bool', id: 2 },
      intValue: { type: 'int64', id: 3 },
      doubleValue: { type: 'double', id: 4 },
      arrayValue: { type: 'ArrayValue', id: 5 },
      kvlistValue: { type: 'KeyValueList', id: 6 },
      bytesValue: { type: 'bytes', id: 7 },
    } satisfies Fields,
  },
  ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
  KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
  KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
  InstrumentationScope: {
    fields: {
      name: { type: 'string', id: 1 },
      version: { type: 'string', id: 2 },
      attributes: repeated('KeyValue', 3),
      droppedAttributesCount: { type: 'uint32', id: 4 },
    } satisfies Fields,
  },
};

// entity_refs (field 3) is left out: the daemon's model has no place for it, and protobufjs
// skips unknown fields.
const resource = {
  Resource: {
    fields: {
      attributes: repeated(`${COMMON}KeyValue`, 1),
      droppedAttributesCount: { type: 'uint32', id: 2 },
    } satisfies Fields,
  },
};

const trace = {
  ResourceSpans: {
    fields: {
      resource: { type: RESOURCE, id: 1 },
      scopeSpans: repeated('ScopeSpans', 2),
      schemaUrl: { type: 'string', id: 3 },
    } satisfies Fields,
  },
  ScopeSpans: {
    fields: {
      scope: { type: `${COMMON}InstrumentationScope`, id: 1 },
      spans: repeated('Span', 2),
      schemaUrl: { type: 'string', id: 3 },
    } satisfies Fields,
  },
  Span: {
    fields: {
      traceId: { type: 'bytes', id: 1 },
      spanId: { type: 'bytes', id: 2 },
      traceState: { type: 'string', id: 3 },
      parentSpanId: { type: 'bytes', id: 4 },
      flags: { type: 'fixed32', id: 16 },
      name: { type: 'string', id: 5 },
      kind: { type: 'SpanKind', id: 6 },
      startTimeUnixNano: { type: 'fixed64', id: 7 },
      endTimeUnixNano: { type: 'fixed64', id: 8 },
      attributes: repeated(`${COMMON}KeyValue`, 9),
      droppedAttributesCount: { type: 'uint32', id: 10 },
      events: repeated('Event', 11),
      droppedEventsCount: { type: 'uint32', id: 12 },
      links: repeated('Link', 13),
      droppedLinksCount: { type: 'uint32', id: 14 },
      status: { type: 'Status', id: 15 },
    } satisfies Fields,
    nested: {
      SpanKind: {
        values: {
          SPAN_KIND_UNSPECIFIED: 0,
          SPAN_KIND_INTERNAL: 1,
          SPAN_KIND_SERVER: 2,
          SPAN_KIND_CLIENT: 3,
          SPAN_KIND_PRODUCER: 4,
          SPAN_KIND_CONSUMER: 5,
        },
      },
      Event: {
        fields: {
          timeUnixNano: { type: 'fixed64', id: 1 },
          name: { type: 'string', id: 2 },
          attributes: repeated(`${COMMON}KeyValue`, 3),
          droppedAttributesCount: { type: 'uint32', id: 4 },
        } satisfies Fields,
      },
      Link: {
        fields: {
          traceId: { type: 'bytes', id: 1 },
          spanId: { type: 'bytes', id: 2 },
          traceState: { type: 'string', id: 3 },
          attributes: repeated(`${COMMON}KeyValue`, 4),
          droppedAttributesCount: { type: 'uint32', id: 5 },
          flags: { type: 'fixed32', id: 6 },
        } satisfies Fields,
      },
    },
  },
  Status: {
    fields: { message: { type: 'string', id: 2 }, code: { type: 'StatusCode', id: 3 } } satisfies Fields,
    nested: { StatusCode: { values: { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 } } },
  },
};

const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** SEVERITY_NUMBER_UNSPECIFIED = 0, then TRACE, TRACE2..4, DEBUG... up to FATAL4 = 24. */
function severityValues(): Record<string, number> {
  const values: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
  SEVERITY_NAMES.forEach((name, i) => {
    for (let step = 0; step < 4; step++) {
      values[`SEVERITY_NUMBER_${name}${step === 0 ? '' : step + 1}`] = i * 4 + step + 1;
    }
  });
  return values;
}

const logs = {
  SeverityNumber: { values: severityValues() },
  ResourceLogs: {
    fields: {
      resource: { type: RESOURCE, id: 1 },
      scopeLogs: repeated('ScopeLogs', 2),
      schemaUrl: { type: 'string', id: 3 },
    } satisfies Fields,
  },
  ScopeLogs: {
    fields: {
      scope: { type: `${COMMON}InstrumentationScope`, id: 1 },
      logRecords: repeated('LogRecord', 2),
      schemaUrl: { type: 'string', id: 3 },
    } satisfies Fields,
  },
  LogRecord: {
    fields: {
      timeUnixNano: { type: 'fixed64', id: 1 },
      observedTimeUnixNano: { type: 'fixed64', id: 11 },
      severityNumber: { type: 'SeverityNumber', id: 2 },
      severityText: { type: 'string', id: 3 },
      body: { type: `${COMMON}AnyValue`, id: 5 },
      attributes: repeated(`${COMMON}KeyValue`, 6),
      droppedAttributesCount: { type: 'uint32', id: 7 },
      flags: { type: 'fixed32', id: 8 },
      traceId: { type: 'bytes', id: 9 },
      spanId: { type: 'bytes', id: 10 },
      eventName: { type: 'string', id: 12 },
    } satisfies Fields,
  },
};

/**
 * An Export request/response pair, its partial-success message and its gRPC service, for
 * one signal: the request's field 1 holds `items` of type `itemType`.
 */
function collector(signal: 'Trace' | 'Logs', items: string, itemType: string, rejectedField: string): protobuf.INamespace {
  return {
    nested: {
      [`Export${signal}ServiceRequest`]: { fields: { [items]: repeated(itemType, 1) } },
      [`Export${signal}ServiceResponse`]: { fields: { partialSuccess: { type: `Export${signal}PartialSuccess`, id: 1 } } },
      [`Export${signal}PartialSuccess`]: {
        fields: { [rejectedField]: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } },
      },
      [`${signal}Service`]: {
        methods: {
          Export: {
            requestType: `Export${signal}ServiceRequest`,
            responseType: `Export${signal}ServiceResponse`,
            comment: '',
          },
        },
      },
    },
  };
}

/** A package `<name>.v1` holding `nested`. */
const v1 = (nested: object): protobuf.INamespace => ({ nested: { v1: { nested } as protobuf.INamespace } });

const descriptor: protobuf.INamespace = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: v1(common),
            resource: v1(resource),
            trace: v1(trace),
            logs: v1(logs),
            collector: {
              nested: {
                trace: { nested: { v1: collector('Trace', 'resourceSpans', TRACE_V1 + 'ResourceSpans', 'rejectedSpans') } },
                logs: { nested: { v1: collector('Logs', 'resourceLogs', LOGS_V1 + 'ResourceLogs', 'rejectedLogRecords') } },
              },
            },
          },
        },
      },
    },
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: repeated('google.protobuf.Any', 3),
              } satisfies Fields,
            },
            RetryInfo: { fields: { retryDelay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
};

/**
 * The resolved protobufjs root of the OTLP schema. Package paths are the real ones, so the
 * gRPC service names (`opentelemetry.proto.collector.trace.v1.TraceService`) can be taken
 * from it too.
 */
export const otlpRoot: protobuf.Root = protobuf.Root.fromJSON(descriptor);
otlpRoot.resolveAll();

// Without long.js protobufjs decodes 64-bit fields into doubles, silently losing nanoseconds.
if (!protobuf.util.Long) throw new Error('protobufjs found no long.js; OTLP timestamps would lose precision');

const COLLECTOR = 'opentelemetry.proto.collector.';

/** The message types the codec encodes and decodes. */
export const types = {
  traceRequest: otlpRoot.lookupType(`${COLLECTOR}trace.v1.ExportTraceServiceRequest`),
  traceResponse: otlpRoot.lookupType(`${COLLECTOR}trace.v1.ExportTraceServiceResponse`),
  logsRequest: otlpRoot.lookupType(`${COLLECTOR}logs.v1.ExportLogsServiceRequest`),
  logsResponse: otlpRoot.lookupType(`${COLLECTOR}logs.v1.ExportLogsServiceResponse`),
  rpcStatus: otlpRoot.lookupType('google.rpc.Status'),
  retryInfo: otlpRoot.lookupType('google.rpc.RetryInfo'),
} as const;

/** Enum name → number tables, for OTLP/JSON senders that spell enums by name. */
export const enumValues = {
  spanKind: otlpRoot.lookupEnum(`${TRACE_V1}Span.SpanKind`).values,
  statusCode: otlpRoot.lookupEnum(`${TRACE_V1}Status.StatusCode`).values,
  severityNumber: otlpRoot.lookupEnum(`${LOGS_V1}SeverityNumber`).values,
} as const;
