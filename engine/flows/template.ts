import { SecretMissingError } from '../errors/secret-missing.error.ts';
import { isForbiddenPathSegment } from './flow-identifiers.ts';
import { InvalidTemplateError } from './invalid-template.error.ts';
import { SECRET_NAME, SECRETS_ROOT } from './secret-name.ts';

/**
 * Message templates: literal text with placeholders `{{contact.name}}`, `{{vars.email}}` or
 * `{{contact.name | "there"}}` (a default). A placeholder is a dotted path and nothing else:
 * no expressions, no calls, no filters, so rendering can never execute code.
 *
 * `{{secrets.NAME}}` names a workspace secret. It parses only where the caller allows it (an
 * HTTP request's URL, headers and body) and renders only from the values the caller passes in
 * `RenderOptions.secrets`; everywhere else (messages, attributes, broadcasts) it is refused, so
 * a flow can never put a secret in front of a contact.
 */

/** Names a placeholder may start with; the runtime builds a context with these keys. */
export const TEMPLATE_ROOTS = ['contact', 'vars', 'message', 'conversation', 'trigger', 'workspace'] as const;
export type TemplateRoot = (typeof TEMPLATE_ROOTS)[number];
export type TemplateContext = Partial<Record<TemplateRoot, unknown>>;

/** Most placeholders in one template. */
export const MAX_TEMPLATE_PLACEHOLDERS = 100;
/** Most segments in one placeholder path. */
export const MAX_TEMPLATE_PATH_SEGMENTS = 8;

export type TemplatePart =
  { kind: 'text'; text: string } | { kind: 'value'; path: readonly string[]; fallback: string } | { kind: 'secret'; name: string };

/** A parsed template, ready to render many times. */
export interface ParsedTemplate {
  readonly parts: readonly TemplatePart[];
}

export interface TemplateProblem {
  message: string;
  /** Set when the placeholder is well formed but names a secret where secrets are not allowed. */
  code?: 'secret_not_allowed';
  /** Character offset of the placeholder in the template. */
  offset: number;
}

export type TemplateParseResult = { ok: true; template: ParsedTemplate } | { ok: false; problems: TemplateProblem[] };

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const ROOTS: ReadonlySet<string> = new Set(TEMPLATE_ROOTS);

export interface ParseOptions {
  /** Accept `{{secrets.NAME}}` (an HTTP request's URL, headers and body only). */
  allowSecrets?: boolean;
}

/** `secrets.NAME`: exactly one name, and no default (a missing secret must fail, not send a stand-in). */
function secretPart(path: readonly string[], hasFallback: boolean): TemplatePart | string {
  const name = path[1];
  if (path.length !== 2 || name === undefined || !SECRET_NAME.test(name))
    return 'a secret is written {{secrets.NAME}}, with a name of letters, digits and "_"';
  if (hasFallback) return 'a secret has no default: create the secret instead';
  return { kind: 'secret', name };
}

/** Parses the inside of one `{{ … }}`; returns the part or a problem message. */
function parsePlaceholder(inner: string): TemplatePart | string {
  const bar = inner.indexOf('|');
  const pathText = (bar === -1 ? inner : inner.slice(0, bar)).trim();
  let fallback = '';
  if (bar !== -1) {
    const literal = inner.slice(bar + 1).trim();
    const parsed = parseStringLiteral(literal);
    if (parsed === null) return `the default after "|" must be a string in double quotes, such as "there"`;
    fallback = parsed;
  }
  if (pathText === '') return 'a placeholder needs a path, such as contact.name';
  const path = pathText.split('.');
  if (path.length > MAX_TEMPLATE_PATH_SEGMENTS) return `a path may have at most ${MAX_TEMPLATE_PATH_SEGMENTS} parts`;
  for (const segment of path) {
    if (!SEGMENT.test(segment)) return `"${pathText}" is not a path: use names of letters, digits, "_" and "-" joined by "."`;
    if (isForbiddenPathSegment(segment)) return `the path "${pathText}" goes through "${segment}"`;
  }
  if (path[0] === SECRETS_ROOT) return secretPart(path, bar !== -1);
  if (!ROOTS.has(path[0] as string)) return `"${path[0]}" is not a known value; start with one of ${TEMPLATE_ROOTS.join(', ')}`;
  return { kind: 'value', path, fallback };
}

/** `"…"` with `\"`, `\\`, `\n` and `\t` escapes; null when not exactly one such literal. */
function parseStringLiteral(literal: string): string | null {
  if (literal.length < 2 || !literal.startsWith('"') || !literal.endsWith('"')) return null;
  let out = '';
  for (let i = 1; i < literal.length - 1; i += 1) {
    const ch = literal[i] as string;
    if (ch === '"') return null;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    i += 1;
    const escaped = literal[i];
    if (i >= literal.length - 1 || escaped === undefined) return null;
    const replacement = { '"': '"', '\\': '\\', n: '\n', t: '\t' }[escaped];
    if (replacement === undefined) return null;
    out += replacement;
  }
  return out;
}

const SECRET_NOT_ALLOWED =
  "a secret can only be used in an HTTP request's URL, headers and body: a message or any other text must never carry one";

/** Parses a template, reporting every malformed placeholder with its offset. */
export function parseTemplate(source: string, options: ParseOptions = {}): TemplateParseResult {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let placeholders = 0;
  let cursor = 0;
  while (cursor < source.length) {
    const open = source.indexOf('{{', cursor);
    if (open === -1) break;
    if (open > cursor) parts.push({ kind: 'text', text: source.slice(cursor, open) });
    const close = source.indexOf('}}', open + 2);
    if (close === -1) {
      problems.push({ message: 'a "{{" is never closed by "}}"', offset: open });
      cursor = source.length;
      break;
    }
    placeholders += 1;
    if (placeholders === MAX_TEMPLATE_PLACEHOLDERS + 1) {
      problems.push({ message: `a template may have at most ${MAX_TEMPLATE_PLACEHOLDERS} placeholders`, offset: open });
    }
    const part = parsePlaceholder(source.slice(open + 2, close));
    if (typeof part === 'string') problems.push({ message: part, offset: open });
    else if (part.kind === 'secret' && !options.allowSecrets)
      problems.push({ message: SECRET_NOT_ALLOWED, offset: open, code: 'secret_not_allowed' });
    else parts.push(part);
    cursor = close + 2;
  }
  if (cursor < source.length) parts.push({ kind: 'text', text: source.slice(cursor) });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, template: { parts } };
}

/** Reads a path through own properties only; anything else (inherited, function, missing) is undefined. */
export function readOwnPath(root: unknown, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (isForbiddenPathSegment(segment)) return undefined;
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return typeof current === 'function' ? undefined : current;
}

function isPrimitive(value: unknown): value is string | number | boolean | bigint {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint';
}

/** How a value prints: text as is, lists of plain values joined by ", ", other objects as JSON. */
function formatValue(value: unknown): string {
  if (isPrimitive(value)) return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (Array.isArray(value) && value.every(isPrimitive)) return value.map(String).join(', ');
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

export interface RenderOptions {
  /** Applied to each substituted value, never to literal text (e.g. `encodeURIComponent` for a URL). */
  encode?: (value: string) => string;
  /** The resolved secrets the template may name; when absent, `{{secrets.…}}` does not parse. */
  secrets?: ReadonlyMap<string, string>;
}

/** The names of the secrets a parsed template uses, once each. */
export function secretNamesOf(template: ParsedTemplate): string[] {
  return [...new Set(template.parts.flatMap((p) => (p.kind === 'secret' ? [p.name] : [])))];
}

/**
 * Renders a parsed template. A value that is missing, null or empty renders its default (or
 * nothing), so "Hi {{contact.name | "there"}}" greets a contact without a name as "Hi there".
 */
export function renderTemplate(template: ParsedTemplate, context: TemplateContext, options: RenderOptions = {}): string {
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    if (part.kind === 'secret') {
      const secret = options.secrets?.get(part.name);
      if (secret === undefined) throw new SecretMissingError(part.name);
      out += options.encode ? options.encode(secret) : secret;
      continue;
    }
    const raw = readOwnPath(context, part.path);
    const text = raw === undefined || raw === null ? '' : formatValue(raw);
    const chosen = text === '' ? part.fallback : text;
    out += options.encode && chosen !== '' ? options.encode(chosen) : chosen;
  }
  return out;
}

/** Parses and renders in one call; throws `InvalidTemplateError` when the template does not parse. */
export function renderTemplateText(source: string, context: TemplateContext, options: RenderOptions = {}): string {
  const parsed = parseTemplate(source, { allowSecrets: options.secrets !== undefined });
  if (!parsed.ok) throw new InvalidTemplateError(parsed.problems);
  return renderTemplate(parsed.template, context, options);
}
