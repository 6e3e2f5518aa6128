// Scenario files: several domains started together (the grant-sharing
// exercise needs a granter and a mapper). The format is xl.cfg with one
// `[section]` per domain; the section title is the domain's name unless the
// section sets `name`. Domains start in file order.
//
//   # two domains sharing a page
//   [granter]
//   kernel = "granter.elf"
//   memory = 16
//
//   [mapper]
//   kernel = "mapper.elf"
//   memory = 16
import { ConfigError, type DomainConfig, parseRaw, validateEntries } from './config.js';

export interface Scenario { file: string; domains: DomainConfig[] }

export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lines = text.split('\n');
  const sections: { title: string; line: number; body: string[] }[] = [];
  lines.forEach((l, i) => {
    const head = /^\s*\[\s*([^\]]*?)\s*\]\s*(#.*)?$/.exec(l);
    if (head) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(head[1])) throw new ConfigError(file, i + 1, `section [${head[1]}] needs a domain name of letters, digits, ".", "_" or "-"`);
      sections.push({ title: head[1], line: i + 1, body: [] });
      return;
    }
    if (sections.length === 0) {
      if (l.trim() !== '' && !l.trim().startsWith('#')) throw new ConfigError(file, i + 1, 'settings must follow a [domain-name] section header');
      return;
    }
    sections[sections.length - 1].body.push(l);
  });
  if (sections.length === 0) throw new ConfigError(file, 1, 'no [domain-name] sections: a scenario lists the domains to start together');
  const domains: DomainConfig[] = [];
  for (const s of sections) {
    const entries = parseRaw(s.body.join('\n'), file, s.line + 1);
    if (!entries.some((e) => e.key === 'name')) entries.unshift({ key: 'name', value: s.title, line: s.line });
    const cfg = validateEntries(entries, file, s.line);
    if (domains.some((d) => d.name === cfg.name)) throw new ConfigError(file, s.line, `domain name '${cfg.name}' is used twice`);
    domains.push(cfg);
  }
  return { file, domains };
}
