// Every `npm run --silent xenlab -- ...` and `npx xenlab ...` command that the exercise READMEs, the instructors'
// guide and the top README show must name a command the CLI has, only options that command takes, an exercise that
// exists, and (for paths into the kit) a file that is there (`npx xenlab <command>` and `npx xenlab ...` in prose are
// placeholders). Options are learnt from the commands themselves: each one's main() refuses an unknown option with
// the list of those it takes, before doing anything else. The instructors' table of exercises must count the wrong
// solutions that grader/wrong holds.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, xenlab } from './cli.js';
import { UsageError } from '../cli/args.js';
import { courseExercises, findExercise } from '../grader/course.js';

const docs = [
  'README.md', 'docs/instructors.md',
  ...readdirSync(join(repoRoot, 'exercises')).filter((d) => /^\d\d-/.test(d)).map((d) => `exercises/${d}/README.md`),
];

interface DocCommand { doc: string; line: number; text: string; words: string[] }

/** The commands a page shows, each cut at the end of its code span, its line, or a `#` comment. */
function docCommands(doc: string, text: string): DocCommand[] {
  const found: DocCommand[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(?:npm run --silent xenlab --|npx xenlab)\s+([^`#\n]*)/g)) {
      const words = m[1]!.trim().split(/\s+/).filter(Boolean);
      if (words.length && !/^(<|\.\.\.)/.test(words[0]!)) found.push({ doc, line: i + 1, text: m[0].trim(), words });
    }
  });
  return found;
}

/** The long options a command takes, from its refusal of one it does not. */
async function optionsOf(command: string): Promise<string[] | undefined> {
  const file = join(repoRoot, 'cli', `${command}.ts`);
  if (!existsSync(file)) return undefined; // the toolstack's list/destroy/... live together in cli/toolstack.ts
  const mod = await import(file) as { main(argv: string[]): Promise<number> };
  try {
    await mod.main(['--zz-no-such-option']);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const list = /; options: (.*)$/.exec(e.message)?.[1];
    if (list === undefined) throw new Error(`xenlab ${command} refused an unknown option without listing its own: ${e.message}`);
    return list === 'none' ? [] : list.split(' ').map((o) => o.replace(/^--/, ''));
  }
  throw new Error(`xenlab ${command} accepted an unknown option`);
}

describe('commands shown in the documentation', () => {
  const all = docs.flatMap((doc) => docCommands(doc, readFileSync(join(repoRoot, doc), 'utf8')));

  it('finds the commands of every page', () => {
    for (const doc of docs) expect(all.some((c) => c.doc === doc), doc).toBe(true);
    expect(docCommands('x', '`npm run --silent xenlab -- build a.ts -o b.elf` and\n    npx xenlab grade 01 --seed 7   # one seed'))
      .toMatchObject([{ words: ['build', 'a.ts', '-o', 'b.elf'] }, { words: ['grade', '01', '--seed', '7'] }]);
  });

  it('name commands, options, exercises and kit files that exist', async () => {
    const help = xenlab(['--help']).stdout;
    const commands = new Set([...help.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!));
    expect(commands.has('grade')).toBe(true);
    const options = new Map<string, string[] | undefined>();
    const problems: string[] = [];
    for (const c of all) {
      const where = `${c.doc}:${c.line}: ${c.text}:`;
      const [command, ...rest] = c.words;
      if (!commands.has(command!)) { problems.push(`${where} no command '${command}'`); continue; }
      if (!options.has(command!)) options.set(command!, await optionsOf(command!));
      const known = options.get(command!);
      for (const word of rest.flatMap((w) => w.replace(/[[\]]/g, '').split('|'))) {
        if (word.startsWith('--') && known && !known.includes(word.slice(2).replace(/=.*$/, ''))) {
          problems.push(`${where} xenlab ${command} has no option ${word} (it takes ${known.map((o) => '--' + o).join(' ')})`);
        }
        if (word === '-o' && command !== 'build') problems.push(`${where} only build takes -o`);
        if (/^(exercises|grader|minios|docs|hypervisor|machine)\//.test(word) && !existsSync(join(repoRoot, word))) {
          problems.push(`${where} no file ${word} in the kit`);
        }
      }
      if (command === 'grade') {
        for (const word of rest.filter((w) => /^\d\d?$/.test(w))) {
          const before = rest[rest.indexOf(word) - 1];
          if (before === '--seed' || before === '--workers') continue;
          if (!findExercise(word, courseExercises())) problems.push(`${where} no exercise ${word}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("the instructors' guide counts each exercise's wrong solutions as grader/wrong holds them", () => {
    const guide = readFileSync(join(repoRoot, 'docs/instructors.md'), 'utf8');
    const rows = [...guide.matchAll(/^\| (\d\d) [^|]* \|.*\| (\d+) \|$/gm)];
    expect(rows.map((r) => r[1])).toEqual(courseExercises().map((e) => e.id));
    for (const [, id, count] of rows) {
      const slug = courseExercises().find((e) => e.id === id)!.slug;
      const cases = readdirSync(join(repoRoot, 'grader', 'wrong', slug), { withFileTypes: true }).filter((d) => d.isDirectory());
      expect(cases.length, `docs/instructors.md says ${slug} has ${count} wrong solutions and grader/wrong/${slug} holds ${cases.length}: update the table`).toBe(Number(count));
    }
  });
});
