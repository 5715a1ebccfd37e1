import { describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { newSecret, sign, signedHeaders, verify } from '../../shared/delivery/signing';

// The test vector of the Standard Webhooks specification.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signing', () => {
  it('matches the Standard Webhooks test vector', () => {
    expect(sign(SPEC.secret, SPEC.msgId, SPEC.timestamp, SPEC.payload)).toBe(SPEC.signature);
    // And the reference implementation agrees with the vector.
    expect(new StandardWebhook(SPEC.secret).sign(SPEC.msgId, new Date(SPEC.timestamp * 1000), SPEC.payload)).toBe(SPEC.signature);
  });

  it('produces headers the standardwebhooks package verifies unchanged', () => {
    const secret = newSecret();
    const body = JSON.stringify({ id: 'evt_1', type: 'badge.awarded', data: { n: 1 } });
    const headers = signedHeaders({ msgId: 'evt_1', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [secret], userAgent: 'test' });
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'test', 'webhook-id': 'evt_1' });
    expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with both secrets during a rotation, and either one verifies', () => {
    const [current, previous] = [newSecret(), newSecret()];
    const body = '{"a":1}';
    const headers = signedHeaders({ msgId: 'evt_2', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [current, previous], userAgent: 'test' });
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new StandardWebhook(current).verify(body, headers)).not.toThrow();
    expect(() => new StandardWebhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new StandardWebhook(newSecret()).verify(body, headers)).toThrow();
  });

  it('verify() accepts the right signature and refuses a changed body or timestamp', () => {
    expect(verify(SPEC.secret, SPEC.msgId, SPEC.timestamp, SPEC.payload, SPEC.signature)).toBe(true);
    expect(verify(SPEC.secret, SPEC.msgId, SPEC.timestamp, '{"test": 1}', SPEC.signature)).toBe(false);
    expect(verify(SPEC.secret, SPEC.msgId, SPEC.timestamp + 1, SPEC.payload, SPEC.signature)).toBe(false);
  });

  it('makes secrets of whsec_ and 32 random bytes', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSecret()).not.toBe(secret);
  });
});
