import { describe, expect, it } from 'vitest';
import {
  attributeNameOf,
  detectDelimiter,
  guessColumns,
  ImportColumnsError,
  ImportOptionsSchema,
  planColumns,
  readImportRow,
} from './contact-import.ts';

const options = (o: object = {}) => ImportOptionsSchema.parse(o);

describe('when the columns of a file are guessed from its header', () => {
  it('finds the phone, the name and the tags, and keeps every other column as an attribute', () => {
    expect(guessColumns(['Full Name', 'WhatsApp', 'Favourite colour', 'Tags', 'Opted out'])).toEqual({
      phone: 'WhatsApp',
      name: 'Full Name',
      tags: ['Tags'],
      attributes: [{ column: 'Favourite colour', attribute: 'favourite_colour' }],
    });
  });

  it('finds no columns when none looks like a phone', () => {
    expect(guessColumns(['Name', 'City'])).toBeNull();
  });

  it('turns a header into an attribute name a template can use', () => {
    expect(attributeNameOf('Cidade natal')).toBe('cidade_natal');
    expect(attributeNameOf('Código')).toBe('codigo');
    expect(attributeNameOf('2nd phone')).toBe('_2nd_phone');
    expect(attributeNameOf('!!!')).toBeNull();
  });

  it('reads the separator from the header line', () => {
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('a,b;c,d')).toBe(',');
    expect(detectDelimiter('a\tb')).toBe('\t');
  });
});

describe('when a row is read', () => {
  const plan = planColumns(['phone', 'name', 'tags', 'plan'], options({ defaultCountry: 'BR', addTags: ['imported'] }));

  it('gives the contact: the phone in E.164, tags split on commas and semicolons, non-empty attributes', () => {
    expect(readImportRow(['(11) 98765-4321', ' Ana ', 'vip; lead,', ''], plan)).toEqual({
      ok: true,
      contact: { phone: '+5511987654321', name: 'Ana', tags: ['imported', 'vip', 'lead'], attributes: {} },
    });
  });

  it('names every problem of the row at once', () => {
    const result = readImportRow(['', 'x'.repeat(201), 'ok, no!', 'pro'], plan);
    expect(result).toEqual({
      ok: false,
      problem:
        'no phone number; the name is longer than 200 characters; “no!” cannot be a tag (letters, digits, space, _ : - only, up to 64)',
    });
  });

  it('refuses chosen columns the file does not have, naming them', () => {
    expect(() => planColumns(['phone'], options({ columns: { phone: 'Mobile', name: 'Who' } }))).toThrow(ImportColumnsError);
    expect(() => planColumns(['phone'], options({ columns: { phone: 'Mobile', name: 'Who' } }))).toThrow(
      'the file has no column “Mobile”, “Who”',
    );
  });
});
