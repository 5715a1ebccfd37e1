/** The JSON body a receiver gets (contract section 4). */
export interface Envelope {
  /** The event id (`evt_...`), also sent as `webhook-id`; the same on every retry. */
  id: string;
  /** The event type, or `webhook.validation` for validation requests. */
  type: string;
  /** When the event happened, ISO-8601 UTC. */
  occurredAt: string;
  tenantId: string;
  /** The webhook this delivery is for (`wh_...`). */
  webhookId: string;
  data: unknown;
}
