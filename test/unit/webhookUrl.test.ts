import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { isLoopbackHost, WebhookParse, WebhookProblem, WebhookUrl } from '../../src/core/webhookUrl';

const SECRET = 'k3y9s3cr3tQ7';

function accept(input: string): WebhookUrl {
  const parsed = WebhookUrl.parse(input);
  assert.ok(parsed.ok, `expected ${JSON.stringify(input)} to be accepted, got ${JSON.stringify(parsed)}`);
  return parsed.webhook;
}

function rejection(input: string): Extract<WebhookParse, { ok: false }> {
  const parsed = WebhookUrl.parse(input);
  assert.equal(parsed.ok, false, `expected ${JSON.stringify(input)} to be rejected`);
  return parsed;
}

describe('WebhookUrl.parse', () => {
  describe('accepts what people paste', () => {
    const cases: Array<[string, string, string, number]> = [
      ['the canonical form', `https://portal.bitrix24.com/rest/12/${SECRET}/`, 'https://portal.bitrix24.com', 12],
      ['surrounding spaces and newlines', `  \t https://portal.bitrix24.com/rest/12/${SECRET}/ \n`, 'https://portal.bitrix24.com', 12],
      ['no trailing slash', `https://portal.bitrix24.com/rest/12/${SECRET}`, 'https://portal.bitrix24.com', 12],
      ['a method on the end', `https://portal.bitrix24.com/rest/12/${SECRET}/tasks.task.list`, 'https://portal.bitrix24.com', 12],
      ['a method with .json', `https://portal.bitrix24.com/rest/12/${SECRET}/profile.json`, 'https://portal.bitrix24.com', 12],
      ['a method with a trailing slash', `https://portal.bitrix24.com/rest/12/${SECRET}/profile/`, 'https://portal.bitrix24.com', 12],
      ['an explicit port', `https://b24.example.org:8443/rest/1/${SECRET}/`, 'https://b24.example.org:8443', 1],
      ['an upper-case host', `https://PORTAL.Bitrix24.com/rest/7/${SECRET}/`, 'https://portal.bitrix24.com', 7],
      ['http on 127.0.0.1', `http://127.0.0.1:8080/rest/3/${SECRET}/`, 'http://127.0.0.1:8080', 3],
      ['http on another 127.x address', `http://127.1.2.3/rest/3/${SECRET}/`, 'http://127.1.2.3', 3],
      ['http on localhost', `http://localhost:3000/rest/3/${SECRET}/`, 'http://localhost:3000', 3],
      ['http on [::1]', `http://[::1]:9000/rest/3/${SECRET}/`, 'http://[::1]:9000', 3],
      ['a large user id', `https://p.example/rest/1234567890/${SECRET}/`, 'https://p.example', 1234567890],
    ];
    for (const [name, input, origin, userId] of cases) {
      it(name, () => {
        const webhook = accept(input);
        assert.equal(webhook.origin, origin);
        assert.equal(webhook.userId, userId);
        assert.equal(webhook.reveal(), `${origin}/rest/${userId}/${SECRET}/`);
      });
    }

    it('drops the method that was pasted on the end', () => {
      const webhook = accept(`https://portal.bitrix24.com/rest/12/${SECRET}/profile.json`);
      assert.equal(webhook.methodUrl('tasks.task.counters.get'), `https://portal.bitrix24.com/rest/12/${SECRET}/tasks.task.counters.get`);
    });
  });

  describe('rejects with the problem named', () => {
    const cases: Array<[string, string, WebhookProblem]> = [
      ['an empty string', '', 'empty'],
      ['only spaces', '   \n\t ', 'empty'],
      ['text that is not a URL', 'my webhook', 'notUrl'],
      ['a path without a scheme', `portal.bitrix24.com/rest/1/${SECRET}/`, 'notUrl'],
      ['an ftp: URL', `ftp://portal.bitrix24.com/rest/1/${SECRET}/`, 'notUrl'],
      ['a javascript: URL', 'javascript:alert(1)', 'notUrl'],
      ['http to a public host', `http://portal.bitrix24.com/rest/1/${SECRET}/`, 'insecure'],
      ['http to a host that only starts like loopback', `http://127.0.0.1.evil.example/rest/1/${SECRET}/`, 'insecure'],
      ['http to localhost as a subdomain', `http://localhost.evil.example/rest/1/${SECRET}/`, 'insecure'],
      ['a user and password', `https://user:pass@portal.bitrix24.com/rest/1/${SECRET}/`, 'credentials'],
      ['a user only', `https://user@portal.bitrix24.com/rest/1/${SECRET}/`, 'credentials'],
      ['a #fragment', `https://portal.bitrix24.com/rest/1/${SECRET}/#top`, 'fragment'],
      ['an empty # at the end', `https://portal.bitrix24.com/rest/1/${SECRET}/#`, 'fragment'],
      ['no /rest/ in the path', `https://portal.bitrix24.com/api/1/${SECRET}/`, 'noRestPath'],
      ['only the portal', 'https://portal.bitrix24.com/', 'noRestPath'],
      ['/rest/ without a secret', 'https://portal.bitrix24.com/rest/1/', 'noRestPath'],
      ['a non-numeric user', `https://portal.bitrix24.com/rest/admin/${SECRET}/`, 'noRestPath'],
      ['user 0', `https://portal.bitrix24.com/rest/0/${SECRET}/`, 'noRestPath'],
      ['a negative user', `https://portal.bitrix24.com/rest/-1/${SECRET}/`, 'noRestPath'],
      ['a secret with symbols', 'https://portal.bitrix24.com/rest/1/abc-def/', 'noRestPath'],
      ['/rest/ not at the start', `https://portal.bitrix24.com/x/rest/1/${SECRET}/`, 'noRestPath'],
    ];
    for (const [name, input, problem] of cases) {
      it(`${name} → ${problem}`, () => {
        const result = rejection(input);
        assert.equal(result.problem, problem);
        assert.ok(result.message.length > 10, 'a message the user can read');
      });
    }

    it('gives each problem its own message', () => {
      const inputs = ['', 'nope', `http://example.com/rest/1/${SECRET}/`, `https://u:p@example.com/rest/1/${SECRET}/`,
        `https://example.com/rest/1/${SECRET}/#x`, 'https://example.com/'];
      const messages = inputs.map((input) => rejection(input).message);
      assert.equal(new Set(messages).size, inputs.length);
    });

    it('never echoes the input (and so the secret) in the message', () => {
      for (const input of [`http://portal.example/rest/1/${SECRET}/`, `https://portal.example/rest/1/${SECRET}/#x`,
        `https://u:${SECRET}@portal.example/rest/1/${SECRET}/`, `ftp://portal.example/rest/1/${SECRET}/`]) {
        const result = rejection(input);
        assert.ok(!JSON.stringify(result).includes(SECRET), JSON.stringify(result));
      }
    });
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names', () => {
    for (const host of ['localhost', '127.0.0.1', '127.255.0.9', '[::1]']) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of ['example.com', '10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', '::1x', '[::2]', '0.0.0.0']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});

describe('WebhookUrl: the secret never shows', () => {
  const webhook = accept(`https://portal.bitrix24.com/rest/12/${SECRET}/`);

  it('redacted keeps portal and user, hides the secret', () => {
    assert.equal(webhook.redacted, 'https://portal.bitrix24.com/rest/12/•••/');
  });

  it('toString and template strings are redacted', () => {
    assert.equal(webhook.toString(), webhook.redacted);
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the point: a WebhookUrl in a template string is redacted
    assert.equal(`${webhook}`, webhook.redacted);
    assert.equal(String(webhook), webhook.redacted);
    // eslint-disable-next-line @typescript-eslint/restrict-plus-operands -- the point: `+` concatenation of a WebhookUrl is redacted
    assert.ok(!('' + webhook).includes(SECRET));
  });

  it('JSON.stringify is redacted, alone and nested', () => {
    assert.equal(JSON.stringify(webhook), JSON.stringify(webhook.redacted));
    const nested = JSON.stringify({ connection: { webhook, list: [webhook] } });
    assert.ok(!nested.includes(SECRET), nested);
    assert.ok(nested.includes('/rest/12/•••/'));
  });

  it('util.inspect (console.log) does not show it, even with showHidden', () => {
    for (const text of [inspect(webhook), inspect(webhook, { showHidden: true, depth: Infinity, getters: true }),
      inspect({ deep: { webhook } }, { depth: Infinity })]) {
      assert.ok(!text.includes(SECRET), text);
    }
  });

  it('has no enumerable own property holding it', () => {
    for (const key of Reflect.ownKeys(webhook)) {
      const value = (webhook as unknown as Record<PropertyKey, unknown>)[key];
      assert.ok(!String(value).includes(SECRET), String(key));
    }
    assert.ok(!Object.values(webhook).join(' ').includes(SECRET));
  });

  it('redact finds the secret in any case: a host name that spells it comes lowercased', () => {
    const mixed = accept('https://portal.bitrix24.com/rest/12/AbC123xYz9/');
    assert.equal(mixed.redact(`https://${new URL('https://AbC123xYz9.evil.example/').host}/`), 'https://•••.evil.example/');
    assert.equal(mixed.redact('see /rest/12/AbC123xYz9/ and ABC123XYZ9'), 'see /rest/12/•••/ and •••');
  });

  it('reveal gives the full canonical URL back, and parses to the same webhook', () => {
    const again = accept(webhook.reveal());
    assert.ok(again.sameAs(webhook));
    assert.equal(again.reveal(), `https://portal.bitrix24.com/rest/12/${SECRET}/`);
  });

  it('sameAs tells different secrets, users and portals apart', () => {
    assert.ok(webhook.sameAs(accept(`  https://portal.bitrix24.com/rest/12/${SECRET}/profile.json `)));
    assert.ok(!webhook.sameAs(accept(`https://portal.bitrix24.com/rest/12/${SECRET}x/`)));
    assert.ok(!webhook.sameAs(accept(`https://portal.bitrix24.com/rest/13/${SECRET}/`)));
    assert.ok(!webhook.sameAs(accept(`https://other.bitrix24.com/rest/12/${SECRET}/`)));
  });
});

describe('WebhookUrl.redact', () => {
  const webhook = accept(`https://portal.bitrix24.com/rest/12/${SECRET}/`);

  it('removes every occurrence of the secret from text', () => {
    const text = `POST https://portal.bitrix24.com/rest/12/${SECRET}/batch failed; retry ${SECRET} later (${SECRET})`;
    const redacted = webhook.redact(text);
    assert.ok(!redacted.includes(SECRET));
    assert.equal(redacted, 'POST https://portal.bitrix24.com/rest/12/•••/batch failed; retry ••• later (•••)');
  });

  it('leaves text without the secret alone', () => {
    assert.equal(webhook.redact('Group not found or access denied.'), 'Group not found or access denied.');
    assert.equal(webhook.redact(''), '');
  });

  it('is the webhook\'s own secret only', () => {
    const other = accept('https://portal.bitrix24.com/rest/12/othersecret9/');
    assert.equal(other.redact(`x ${SECRET} y`), `x ${SECRET} y`);
  });
});

describe('WebhookUrl.methodUrl', () => {
  it('builds the address of a method under the webhook', () => {
    const webhook = accept(`https://portal.bitrix24.com/rest/12/${SECRET}`);
    assert.equal(webhook.methodUrl('batch'), `https://portal.bitrix24.com/rest/12/${SECRET}/batch`);
    assert.equal(webhook.methodUrl('user.current'), `https://portal.bitrix24.com/rest/12/${SECRET}/user.current`);
  });

  it('keeps a local test portal\'s port and scheme', () => {
    const webhook = accept(`http://127.0.0.1:45678/rest/1/${SECRET}/`);
    assert.equal(webhook.methodUrl('profile'), `http://127.0.0.1:45678/rest/1/${SECRET}/profile`);
  });
});

describe('WebhookUrl.isOwnOrigin', () => {
  const webhook = accept(`https://portal.bitrix24.com/rest/12/${SECRET}/`);
  it('accepts the same scheme, host and port only', () => {
    assert.equal(webhook.isOwnOrigin('https://portal.bitrix24.com/rest/12/x/batch'), true);
    assert.equal(webhook.isOwnOrigin('https://portal.bitrix24.com:443/other'), true);
    assert.equal(webhook.isOwnOrigin('http://portal.bitrix24.com/rest/12/x/batch'), false);
    assert.equal(webhook.isOwnOrigin('https://portal.bitrix24.com:8443/'), false);
    assert.equal(webhook.isOwnOrigin('https://evil.example/'), false);
    assert.equal(webhook.isOwnOrigin('https://portal.bitrix24.com.evil.example/'), false);
    assert.equal(webhook.isOwnOrigin('/relative/path'), false);
    assert.equal(webhook.isOwnOrigin('not a url'), false);
  });
});
