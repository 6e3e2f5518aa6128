// A small, strict XML 1.0 reader for tests: elements, attributes, text, the five entities, the declaration.
// Throws on anything malformed (unclosed or mismatched tags, bad entities, raw '<' or '&', junk after the root).
export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  if (/[<]/.test(s)) throw new Error(`raw '<' in ${JSON.stringify(s)}`);
  return s.replace(/&([a-z]+|#x[0-9a-f]+|#\d+);|&/gi, (m, e: string | undefined) => {
    if (!e) throw new Error('bare & in text');
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    if (!(e in ENT)) throw new Error(`unknown entity ${m}`);
    return ENT[e]!;
  });
}

export function parseXml(xml: string): XmlElement {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml)) throw new Error('a character XML 1.0 forbids');
  let i = 0;
  const ws = () => { while (/\s/.test(xml[i] ?? '')) i++; };
  if (xml.startsWith('<?xml')) { i = xml.indexOf('?>') + 2; }
  ws();
  const element = (): XmlElement => {
    const m = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(i));
    if (!m) throw new Error(`expected an element at ${i}`);
    i += m[0].length;
    const el: XmlElement = { name: m[1]!, attrs: {}, children: [], text: '' };
    for (;;) {
      ws();
      if (xml.startsWith('/>', i)) { i += 2; return el; }
      if (xml[i] === '>') { i++; break; }
      const a = /^([A-Za-z_][\w.-]*)="([^"]*)"/.exec(xml.slice(i));
      if (!a) throw new Error(`bad attribute at ${i}`);
      if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
      el.attrs[a[1]!] = decode(a[2]!);
      i += a[0].length;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) throw new Error(`unclosed <${el.name}>`);
      el.text += decode(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith('</', i)) {
        const c = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(xml.slice(i));
        if (!c || c[1] !== el.name) throw new Error(`mismatched close of <${el.name}> at ${i}`);
        i += c[0].length;
        return el;
      }
      el.children.push(element());
    }
  };
  const root = element();
  ws();
  if (i !== xml.length) throw new Error('content after the root element');
  return root;
}
