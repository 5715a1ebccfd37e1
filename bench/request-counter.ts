/**
 * Counts every AWS request the system makes, per service and operation, with the billing
 * units each one costs (DynamoDB read/write request units from the item sizes, SQS 64 KiB
 * chunks). It hooks the SDK clients' middleware stacks, so it sees what the handlers send,
 * retries included (it sits inside the retry loop), and nothing the bench itself sends.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type Service = 'dynamodb' | 'sqs' | 's3' | 'eventbridge';

/** Counts of one operation (for SQS also per queue: `sqs.ReceiveMessage@delivery`). */
export interface OpCount {
  requests: number;
  errors: number;
  /** DynamoDB: write request units (1 KB each; transactions twice). */
  wru: number;
  /** DynamoDB: read request units (4 KB each; eventually consistent half). */
  rru: number;
  /** SQS: billed requests (one per started 64 KiB of payload). */
  billed: number;
  /** SQS: messages sent, received or deleted. DynamoDB: items written or returned. */
  items: number;
  /** SQS ReceiveMessage calls that returned nothing. */
  empty: number;
  /** Summed latency of the requests, ms (where the time goes). */
  ms: number;
  /** When the first request started and the last one ended, ms into the window (phases). */
  firstStartMs: number;
  lastEndMs: number;
}

export interface Snapshot {
  ops: Record<string, OpCount>;
  /** Wall time of the counting window. */
  ms: number;
}

type AnyClient = { middlewareStack: { add(mw: unknown, options: Record<string, unknown>): void } };
type Args = { input: Record<string, any> };
type Output = { output?: Record<string, any> };

const KIB = 1024;

/** The counting middleware's place: inside the retry loop, outside the deserializer (sees parsed output). */
const MIDDLEWARE_OPTIONS = { step: 'deserialize', priority: 'high', name: 'benchRequestCounter' } as const;

export class RequestCounter {
  private window = 0;
  private active = false;
  private startedAt = 0;
  private ops = new Map<string, OpCount>();
  private readonly attachedStacks = new WeakSet<object>();
  private readonly ownStacks = new WeakSet<object>();
  private readonly queueLabels = new Map<string, string>();
  private restore: (() => void) | undefined;
  /** Attempt-log items written (BatchWrite of `LOG#` items), counted at all times. */
  logItemsWritten = 0;
  /** Of those, attempts that succeeded. */
  succeededLogItems = 0;
  /** Requests whose units could not be worked out (reported, never thrown into the system). */
  accountingErrors = 0;
  lastAccountingError = '';

  /**
   * Hooks every SDK client of the four services this process creates, now or later: the
   * handlers' cached singletons (shared/aws/clients.ts) and the local pollers' client alike.
   * Lambda's event source mapping makes the pollers' ReceiveMessage and DeleteMessageBatch
   * calls on AWS, and they are billed as SQS requests, so they are counted too. The
   * pollers' client is private to startLocalStack, hence the prototype hook.
   */
  install(): void {
    if (this.restore) return;
    const patches: [{ prototype: { send: unknown } }, Service][] = [
      [DynamoDBClient, 'dynamodb'],
      [DynamoDBDocumentClient, 'dynamodb'],
      [SQSClient, 'sqs'],
      [S3Client, 's3'],
      [EventBridgeClient, 'eventbridge'],
    ];
    const undo: (() => void)[] = [];
    for (const [cls, service] of patches) {
      const proto = cls.prototype as { send: (...args: unknown[]) => unknown };
      const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'send');
      const original = proto.send;
      const counter = this;
      proto.send = function (this: AnyClient, ...args: unknown[]) {
        counter.attach(this, service);
        return original.apply(this, args);
      };
      undo.push(() => {
        if (hadOwn) proto.send = original;
        else delete (proto as { send?: unknown }).send;
      });
    }
    this.restore = () => undo.forEach((u) => u());
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
  }

  /** Marks a client as the bench's own: its requests are never counted. Returns it. */
  own<T extends AnyClient>(client: T): T {
    this.ownStacks.add(client.middlewareStack);
    return client;
  }

  /** Names a queue URL so that its SQS operations are counted separately (`op@label`). */
  labelQueue(url: string, label: string): void {
    this.queueLabels.set(url, label);
  }

  /** Starts a fresh counting window. */
  start(): void {
    this.window += 1;
    this.ops = new Map();
    this.active = true;
    this.startedAt = performance.now();
  }

  /** Ends the window and returns what it counted. */
  stop(): Snapshot {
    this.active = false;
    return this.peek();
  }

  /** What the current window counted so far. */
  peek(): Snapshot {
    const ops: Record<string, OpCount> = {};
    for (const [key, value] of [...this.ops.entries()].sort(([a], [b]) => a.localeCompare(b))) ops[key] = { ...value };
    return { ops, ms: performance.now() - this.startedAt };
  }

  private attach(client: AnyClient, service: Service): void {
    const stack = client.middlewareStack;
    if (this.attachedStacks.has(stack) || this.ownStacks.has(stack)) return;
    this.attachedStacks.add(stack);
    const counter = this;
    stack.add(
      (next: (args: Args) => Promise<Output>, context: { commandName?: string }) => async (args: Args) => {
        if (counter.ownStacks.has(stack)) return next(args);
        const op = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const window = counter.window;
        const counting = counter.active;
        const key = counting ? counter.keyOf(service, op, args.input) : '';
        const started = performance.now();
        if (counting) {
          const entry = counter.entry(key);
          entry.requests += 1;
          entry.firstStartMs = Math.min(entry.firstStartMs, started - counter.startedAt);
        }
        const finish = () => {
          if (!counting || window !== counter.window) return;
          const entry = counter.entry(key);
          const ended = performance.now();
          entry.ms += ended - started;
          entry.lastEndMs = Math.max(entry.lastEndMs, ended - counter.startedAt);
        };
        let out: Output;
        try {
          out = await next(args);
          finish();
        } catch (error) {
          finish();
          if (counting && window === counter.window) {
            const entry = counter.entry(key);
            entry.errors += 1;
            // A failed conditional write still consumes write units; a failed request is still billed.
            if (service === 'dynamodb') entry.wru += safe(() => writeUnits(op, args.input, undefined));
            if (service === 'sqs') entry.billed += 1;
          }
          throw error;
        }
        // Counting must never break the request it watches.
        try {
          if (service === 'dynamodb' && op === 'BatchWriteItem') counter.observeLogWrites(args.input, out.output);
          if (counting && window === counter.window) counter.account(service, op, key, args.input, out.output ?? {});
        } catch (error) {
          counter.accountingErrors += 1;
          counter.lastAccountingError = String(error);
        }
        return out;
      },
      MIDDLEWARE_OPTIONS,
    );
  }

  private keyOf(service: Service, op: string, input: Record<string, any>): string {
    if (service !== 'sqs') return `${service}.${op}`;
    const label = this.queueLabels.get(String(input.QueueUrl ?? '')) ?? 'other';
    return `sqs.${op}@${label}`;
  }

  private entry(key: string): OpCount {
    let found = this.ops.get(key);
    if (!found) {
      found = { requests: 0, errors: 0, wru: 0, rru: 0, billed: 0, items: 0, empty: 0, ms: 0, firstStartMs: Number.POSITIVE_INFINITY, lastEndMs: 0 };
      this.ops.set(key, found);
    }
    return found;
  }

  private account(service: Service, op: string, key: string, input: Record<string, any>, output: Record<string, any>): void {
    const entry = this.entry(key);
    if (service === 'dynamodb') {
      entry.wru += writeUnits(op, input, output);
      entry.rru += readUnits(op, input, output);
      entry.items += itemsOf(op, input, output);
    } else if (service === 'sqs') {
      const { billed, items, empty } = sqsUnits(op, input, output);
      entry.billed += billed;
      entry.items += items;
      entry.empty += empty ? 1 : 0;
    }
  }

  private observeLogWrites(input: Record<string, any>, output: Record<string, any> | undefined): void {
    for (const [table, requests] of Object.entries((input.RequestItems ?? {}) as Record<string, any[]>)) {
      const unprocessed = new Set(
        ((output?.UnprocessedItems?.[table] ?? []) as any[]).map((r) => `${r.PutRequest?.Item?.pk?.S}|${r.PutRequest?.Item?.sk?.S}`),
      );
      for (const request of requests) {
        const item = request.PutRequest?.Item;
        const pk = item?.pk?.S;
        if (typeof pk !== 'string' || !pk.startsWith('LOG#')) continue;
        if (unprocessed.has(`${pk}|${item.sk?.S}`)) continue;
        this.logItemsWritten += 1;
        if (item.outcome?.S === 'succeeded') this.succeededLogItems += 1;
      }
    }
  }
}

function safe(work: () => number): number {
  try {
    return work();
  } catch {
    return 0;
  }
}

/** Sums of a snapshot: requests and units per service, optionally filtered by key. */
export function totals(snapshot: Snapshot, filter: (key: string) => boolean = () => true) {
  const sum = { requests: 0, errors: 0, wru: 0, rru: 0, billed: 0, items: 0, empty: 0, ms: 0 };
  for (const [key, op] of Object.entries(snapshot.ops)) {
    if (!filter(key)) continue;
    for (const field of Object.keys(sum) as (keyof typeof sum)[]) sum[field] += op[field];
  }
  return sum;
}

/** A `totals` filter for one service's operations. */
export const isService = (service: Service) => (key: string) => key.startsWith(`${service}.`);

/** One-line summary of a snapshot's operations, for the notes. */
export function describeOps(snapshot: Snapshot, per = 1, service?: Service): string {
  return Object.entries(snapshot.ops)
    .filter(([key]) => !service || key.startsWith(`${service}.`))
    .map(([key, op]) => `${key.replace(/^[a-z0-9]+\./, '')} ${trim(op.requests / per)}`)
    .join(', ');
}

/** Average latency per operation, ms: where a moto-bound run spends its time. */
export function describeLatencies(snapshot: Snapshot, service?: Service): string {
  return Object.entries(snapshot.ops)
    .filter(([key]) => !service || key.startsWith(`${service}.`))
    .map(([key, op]) => `${key.replace(/^[a-z0-9]+\./, '')} ${(op.ms / Math.max(op.requests, 1)).toFixed(1)}`)
    .join(', ');
}

function trim(value: number): string {
  return value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

// ---- DynamoDB billing units ------------------------------------------------------------

/**
 * Size of an item by DynamoDB's rules: attribute names plus values (strings and binaries by
 * length, numbers about one byte per two digits plus one, 1 byte for booleans and nulls,
 * 3 bytes of overhead per map or list plus 1 per element). The counter sees inputs marshalled
 * (`{ S: 'x' }`) and, for document clients, outputs already unmarshalled: both are measured.
 */
export function itemSize(item: Record<string, unknown> | undefined | null): number {
  if (!item || typeof item !== 'object') return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

const ATTRIBUTE_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);
const numberSize = (n: string) => Math.ceil(n.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;

function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + valueSize(v) + 1, 0);
  if (typeof value !== 'object') return 1;
  const entries = Object.entries(value as Record<string, unknown>);
  const [only] = entries;
  if (entries.length === 1 && only && ATTRIBUTE_TYPES.has(only[0])) {
    const [type, inner] = only;
    if (type === 'N') return numberSize(String(inner));
    if (type === 'NS') return (inner as string[]).reduce((sum, n) => sum + numberSize(n), 0);
    if (type === 'M') return 3 + Object.entries(inner as Record<string, unknown>).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueSize(v) + 1, 0);
    if (type === 'BOOL' || type === 'NULL') return 1;
    return valueSize(inner);
  }
  return 3 + entries.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueSize(v) + 1, 0);
}

const wruOf = (bytes: number) => Math.max(1, Math.ceil(bytes / KIB));
const rruOf = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / (4 * KIB))) * (consistent ? 1 : 0.5);

function writeUnits(op: string, input: Record<string, any>, output: Record<string, any> | undefined): number {
  switch (op) {
    case 'PutItem':
      return wruOf(itemSize(input.Item));
    // Without the old item, an update or delete is assumed to touch an item under 1 KB.
    case 'UpdateItem':
      return wruOf(itemSize(output?.Attributes));
    case 'DeleteItem':
      return 1;
    case 'BatchWriteItem': {
      let units = 0;
      for (const requests of Object.values((input.RequestItems ?? {}) as Record<string, any[]>)) {
        for (const r of requests) units += r.PutRequest ? wruOf(itemSize(r.PutRequest.Item)) : 1;
      }
      return units;
    }
    case 'TransactWriteItems':
      return (input.TransactItems as any[]).reduce((sum: number, t) => sum + 2 * (t.Put ? wruOf(itemSize(t.Put.Item)) : 1), 0);
    default:
      return 0;
  }
}

function readUnits(op: string, input: Record<string, any>, output: Record<string, any>): number {
  const consistent = input.ConsistentRead === true;
  switch (op) {
    case 'GetItem':
      return rruOf(itemSize(output.Item), consistent);
    case 'Query':
    case 'Scan': {
      // Capacity is charged on what was read before the filter: scale the returned items' size.
      const items = (output.Items ?? []) as Record<string, any>[];
      const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
      const scanned = Number(output.ScannedCount ?? items.length);
      const perItem = items.length ? bytes / items.length : 0;
      return rruOf(perItem * Math.max(scanned, items.length), consistent);
    }
    case 'BatchGetItem':
      return Object.values((output.Responses ?? {}) as Record<string, any[]>).flat().reduce((sum: number, item) => sum + rruOf(itemSize(item), false), 0);
    case 'TransactGetItems':
      return ((output.Responses ?? []) as any[]).reduce((sum: number, r) => sum + 2 * rruOf(itemSize(r.Item), true), 0);
    default:
      return 0;
  }
}

function itemsOf(op: string, input: Record<string, any>, output: Record<string, any>): number {
  if (op === 'BatchWriteItem') return Object.values((input.RequestItems ?? {}) as Record<string, any[]>).reduce((sum, r) => sum + r.length, 0);
  if (op === 'Query' || op === 'Scan') return (output.Items ?? []).length;
  return 1;
}

// ---- SQS billing units -----------------------------------------------------------------

function attributeBytes(attributes: Record<string, any> | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(String(value.DataType ?? '')) + Buffer.byteLength(String(value.StringValue ?? ''));
  }
  return bytes;
}

/** Each started 64 KiB of a request's payload is billed as one request. */
function sqsUnits(op: string, input: Record<string, any>, output: Record<string, any>): { billed: number; items: number; empty: boolean } {
  const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / (64 * KIB)));
  switch (op) {
    case 'SendMessage':
      return { billed: chunks(Buffer.byteLength(String(input.MessageBody ?? '')) + attributeBytes(input.MessageAttributes)), items: 1, empty: false };
    case 'SendMessageBatch': {
      const entries = (input.Entries ?? []) as any[];
      const bytes = entries.reduce((sum: number, e) => sum + Buffer.byteLength(String(e.MessageBody ?? '')) + attributeBytes(e.MessageAttributes), 0);
      return { billed: chunks(bytes), items: entries.length, empty: false };
    }
    case 'ReceiveMessage': {
      const messages = (output.Messages ?? []) as any[];
      const bytes = messages.reduce((sum: number, m) => sum + Buffer.byteLength(String(m.Body ?? '')) + attributeBytes(m.MessageAttributes), 0);
      return { billed: chunks(bytes), items: messages.length, empty: messages.length === 0 };
    }
    case 'DeleteMessageBatch':
      return { billed: 1, items: ((input.Entries ?? []) as any[]).length, empty: false };
    default:
      return { billed: 1, items: 1, empty: false };
  }
}
