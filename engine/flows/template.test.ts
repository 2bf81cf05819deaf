import { describe, expect, it } from 'vitest';
import { InvalidTemplateError } from './invalid-template.error.ts';
import { SecretMissingError } from '../errors/secret-missing.error.ts';
import { parseTemplate, readOwnPath, renderTemplate, renderTemplateText, secretNamesOf } from './template.ts';

const context = {
  contact: { name: 'Ada', tags: ['vip', 'lead'], attributes: { plan: 'pro' }, empty: '' },
  vars: { email: 'ada@example.com', count: 3, order: { id: 7 } },
  message: { text: 'PRICE' },
};

describe('when a template has placeholders', () => {
  it('substitutes values from the context', () => {
    expect(renderTemplateText('Hi {{contact.name}}, you said {{ message.text }}; we will write to {{vars.email}}.', context)).toBe(
      'Hi Ada, you said PRICE; we will write to ada@example.com.',
    );
  });

  it('prints numbers, lists and objects', () => {
    expect(renderTemplateText('{{vars.count}} | {{contact.tags}} | {{vars.order}}', context)).toBe('3 | vip, lead | {"id":7}');
  });

  it('leaves text without placeholders, and a lone "}}", as it is', () => {
    expect(renderTemplateText('plain }} text', context)).toBe('plain }} text');
  });
});

describe('when a value is missing', () => {
  it('renders the default', () => {
    expect(renderTemplateText('Hi {{contact.nickname | "there"}}!', context)).toBe('Hi there!');
  });

  it('renders the default for an empty string too', () => {
    expect(renderTemplateText('Hi {{contact.empty | "there"}}!', context)).toBe('Hi there!');
  });

  it('renders nothing without a default', () => {
    expect(renderTemplateText('Hi {{contact.nickname}}!', context)).toBe('Hi !');
  });

  it('unescapes the default', () => {
    expect(renderTemplateText('{{vars.none | "say \\"hi\\"\\n"}}', context)).toBe('say "hi"\n');
  });
});

describe('when a template tries to reach beyond the data', () => {
  it('refuses __proto__, constructor and prototype at parse time', () => {
    for (const path of ['contact.__proto__', 'contact.constructor.name', 'vars.prototype']) {
      const parsed = parseTemplate(`{{${path}}}`);
      expect(parsed.ok).toBe(false);
    }
  });

  it('renders inherited properties as missing', () => {
    expect(renderTemplateText('[{{contact.toString}}][{{vars.hasOwnProperty | "no"}}]', context)).toBe('[][no]');
  });

  it('never calls a function found in the context', () => {
    let called = false;
    const hostile = { vars: { f: () => (called = true) } };
    expect(renderTemplateText('{{vars.f}}', hostile)).toBe('');
    expect(called).toBe(false);
  });

  it('reads only own properties even when handed a path directly', () => {
    expect(readOwnPath({ a: Object.create({ inherited: 1 }) as object }, ['a', 'inherited'])).toBeUndefined();
    expect(readOwnPath({}, ['__proto__'])).toBeUndefined();
  });
});

describe('when a template is malformed', () => {
  it('reports every bad placeholder with its offset', () => {
    const parsed = parseTemplate('{{ }} {{contact.name | there}} {{unknown.x}} {{contact.name()}} {{open');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => p.offset)).toEqual([0, 6, 31, 45, 64]);
    expect(parsed.problems[2]?.message).toBe(
      '"unknown" is not a known value; start with one of contact, vars, message, conversation, trigger, workspace',
    );
  });

  it('throws InvalidTemplateError when asked to render it', () => {
    expect(() => renderTemplateText('{{oops', context)).toThrow(InvalidTemplateError);
  });
});

describe('when values go into a URL', () => {
  it('encodes substituted values and defaults, never the literal text', () => {
    const parsed = parseTemplate('https://api.example.com/q?name={{contact.name}}&x={{vars.none | "a b"}}&t={{message.text}}');
    if (!parsed.ok) throw new Error('must parse');
    const url = renderTemplate(parsed.template, { ...context, contact: { name: 'Ada & Bob' } }, { encode: encodeURIComponent });
    expect(url).toBe('https://api.example.com/q?name=Ada%20%26%20Bob&x=a%20b&t=PRICE');
  });
});

describe('when a template names a secret', () => {
  const secrets = new Map([['API_TOKEN', 'tok en/+&=']]);

  it('does not parse unless the caller allows secrets, with a code saying why', () => {
    const parsed = parseTemplate('Bearer {{secrets.API_TOKEN}}');
    expect(parsed).toMatchObject({ ok: false, problems: [{ code: 'secret_not_allowed', offset: 7 }] });
    expect(parseTemplate('Bearer {{ secrets.API_TOKEN }}', { allowSecrets: true }).ok).toBe(true);
  });

  it('renders the value passed by the caller, encoded like any value', () => {
    expect(renderTemplateText('Bearer {{secrets.API_TOKEN}}', {}, { secrets })).toBe('Bearer tok en/+&=');
    expect(renderTemplateText('https://x.example/?k={{secrets.API_TOKEN}}', {}, { secrets, encode: encodeURIComponent })).toBe(
      'https://x.example/?k=tok%20en%2F%2B%26%3D',
    );
  });

  it('refuses to render without secrets passed in, so message rendering can never reach one', () => {
    expect(() => renderTemplateText('{{secrets.API_TOKEN}}', { secrets: { API_TOKEN: 'from the context' } } as never)).toThrow(
      InvalidTemplateError,
    );
  });

  it('throws SecretMissingError for a name the caller did not resolve', () => {
    expect(() => renderTemplateText('{{secrets.GONE}}', {}, { secrets })).toThrow(SecretMissingError);
  });

  it('refuses malformed secret names and defaults', () => {
    for (const source of ['{{secrets}}', '{{secrets.A.B}}', '{{secrets.9LIVES}}', '{{secrets.a-b}}', '{{secrets.KEY | "x"}}']) {
      expect(parseTemplate(source, { allowSecrets: true }).ok, source).toBe(false);
    }
  });

  it('lists the secret names a template uses, once each', () => {
    const parsed = parseTemplate('{{secrets.A}} {{contact.name}} {{secrets.B}} {{secrets.A}}', { allowSecrets: true });
    expect(parsed.ok && secretNamesOf(parsed.template)).toEqual(['A', 'B']);
  });
});
