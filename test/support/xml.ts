// A tiny XML well-formedness checker for the report's SVG and (XHTML-compatible) HTML output:
// balanced and correctly nested tags, quoted attributes without duplicates, valid names, entity
// references that XML knows (&amp; &lt; &gt; &quot; &apos; and numeric ones), no bare '<' or '&' in
// text or attribute values, comments, CDATA, processing instructions and one DOCTYPE before the single
// root element. It builds a small tree so tests can look at elements and attributes. Not a full XML
// parser: no DTD internals, no namespaces check, no encoding detection.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The text directly inside the element (entities left as written). */
  text: string;
}

export class XmlError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlError';
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/y;

/** Parses `source` as one XML document (an optional prolog, then exactly one root element); throws
 *  XmlError with the offset of the first problem. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (message: string, at = pos): never => {
    throw new XmlError(message, at);
  };
  const startsWith = (s: string) => source.startsWith(s, pos);
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++;
  };
  const readName = (what: string): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(source);
    if (!m) fail(`expected ${what} name`);
    pos += m![0].length;
    return m![0];
  };
  /** Checks text (content or attribute value) for bare '&' and '<'. */
  const checkText = (text: string, at: number, inAttribute: boolean) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '<') fail(inAttribute ? "'<' in attribute value" : "bare '<' in text", at + i);
      if (ch === '&') {
        ENTITY.lastIndex = i;
        const m = ENTITY.exec(text);
        if (!m) fail("'&' that starts no valid entity reference", at + i);
        const numeric = /^&#(x?)([0-9A-Fa-f]+);$/.exec(m![0]);
        if (numeric) {
          const code = parseInt(numeric[2]!, numeric[1] ? 16 : 10);
          if (!(code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)))
            fail(`character reference ${m![0]} is not an XML character`, at + i);
        }
        i += m![0].length - 1;
      }
    }
    if (!inAttribute && text.includes(']]>')) fail("']]>' in text", at + text.indexOf(']]>'));
  };
  const skipComment = () => {
    const end = source.indexOf('-->', pos + 4);
    if (end < 0) fail('unterminated comment');
    if (source.slice(pos + 4, end).includes('--')) fail("'--' inside a comment");
    pos = end + 3;
  };
  const skipPi = () => {
    const end = source.indexOf('?>', pos + 2);
    if (end < 0) fail('unterminated processing instruction');
    pos = end + 2;
  };
  /** Prolog and epilogue items: whitespace, comments, processing instructions (DOCTYPE once, before the root). */
  const skipMisc = (allowDoctype: boolean) => {
    let doctypeSeen = false;
    for (;;) {
      skipSpace();
      if (startsWith('<!--')) skipComment();
      else if (startsWith('<?')) skipPi();
      else if (startsWith('<!DOCTYPE')) {
        if (!allowDoctype || doctypeSeen) fail('unexpected DOCTYPE');
        doctypeSeen = true;
        const end = source.indexOf('>', pos);
        if (end < 0) fail('unterminated DOCTYPE');
        if (source.slice(pos, end).includes('[')) fail('DOCTYPE internal subsets are not supported by this checker');
        pos = end + 1;
      } else return;
    }
  };

  const parseElement = (): XmlElement => {
    const start = pos;
    if (source[pos] !== '<') fail("expected '<'");
    pos++;
    const name = readName('element');
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (startsWith('/>')) {
        pos += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (source[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected whitespace before an attribute');
      if (pos >= source.length) fail(`unterminated start tag <${name}`, start);
      const attribute = readName('attribute');
      skipSpace();
      if (source[pos] !== '=') fail(`attribute ${attribute} has no '=' (attributes need a quoted value)`);
      pos++;
      skipSpace();
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attribute} value is not quoted`);
      const end = source.indexOf(quote!, pos + 1);
      if (end < 0) fail(`unterminated value of attribute ${attribute}`);
      const value = source.slice(pos + 1, end);
      checkText(value, pos + 1, true);
      if (Object.prototype.hasOwnProperty.call(attributes, attribute)) fail(`duplicate attribute ${attribute}`);
      attributes[attribute] = value;
      pos = end + 1;
    }
    const element: XmlElement = { name, attributes, children: [], text: '' };
    for (;;) {
      if (pos >= source.length) fail(`<${name}> is never closed`, start);
      if (startsWith('</')) {
        pos += 2;
        const closing = readName('closing tag');
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (source[pos] !== '>') fail(`expected '>' after </${closing}`);
        pos++;
        return element;
      }
      if (startsWith('<!--')) skipComment();
      else if (startsWith('<![CDATA[')) {
        const end = source.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA section');
        element.text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (startsWith('<?')) skipPi();
      else if (source[pos] === '<') element.children.push(parseElement());
      else {
        const end = source.indexOf('<', pos);
        const text = source.slice(pos, end < 0 ? source.length : end);
        checkText(text, pos, false);
        element.text += text;
        pos += text.length;
      }
    }
  };

  if (source.charCodeAt(0) === 0xfeff) pos = 1;
  skipMisc(true);
  if (pos >= source.length) fail('no root element');
  const root = parseElement();
  skipMisc(false);
  if (pos < source.length) fail('content after the root element');
  return root;
}

/** Every element of the tree, depth first (the root included). */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (e: XmlElement) => {
    out.push(e);
    e.children.forEach(visit);
  };
  visit(root);
  return out;
}

/** The elements named `name` (depth first). */
export function elementsNamed(root: XmlElement, name: string): XmlElement[] {
  return allElements(root).filter((e) => e.name === name);
}

/** All text inside the element and its descendants, in document order. */
export function textContent(e: XmlElement): string {
  return e.text + e.children.map(textContent).join('');
}

/** Problems beyond well-formedness that a generated document must not have: attribute values that
 *  read NaN, Infinity, undefined or null, an empty numeric attribute, and duplicate ids. */
export function attributeProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const numeric = new Set(['x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'width', 'height', 'stroke-width', 'opacity', 'fill-opacity', 'stroke-opacity', 'font-size']);
  for (const e of allElements(root)) {
    for (const [name, value] of Object.entries(e.attributes)) {
      if (/NaN|Infinity|undefined|null/.test(value)) problems.push(`<${e.name} ${name}="${value}">`);
      if (numeric.has(name) && !/^-?\d+(\.\d+)?$/.test(value)) problems.push(`<${e.name} ${name}="${value}"> is not a plain number`);
      if (name === 'd' && /[^MLHVCSQTAZmlhvcsqtaz0-9.\s,-]/.test(value)) problems.push(`<${e.name} d="${value.slice(0, 40)}…"> has characters outside path syntax`);
    }
    const id = e.attributes.id;
    if (id !== undefined) {
      if (ids.has(id)) problems.push(`duplicate id "${id}"`);
      ids.add(id);
    }
  }
  return problems;
}

/** Parses and checks; returns the tree or throws with every problem listed. */
export function checkDocument(source: string): XmlElement {
  const root = parseXml(source);
  const problems = attributeProblems(root);
  if (problems.length > 0) throw new Error(`attribute problems:\n${problems.slice(0, 20).join('\n')}`);
  return root;
}
