// Consistency of the tree, for fuzzing: every node's parent exists and lists
// it, every listed child exists, and the per-domain entry counts match.
import type { Tree } from './tree.js';
import { baseName, parentOf } from './tree.js';

export function treeProblems(tree: Tree): string[] {
  const problems: string[] = [];
  const owned = new Map<number, number>();
  for (const p of tree.paths()) {
    const n = tree.get(p)!;
    owned.set(n.perms[0].id, (owned.get(n.perms[0].id) ?? 0) + 1);
    for (const c of n.children) if (!tree.has(p === '/' ? `/${c}` : `${p}/${c}`)) problems.push(`${p} lists missing child ${c}`);
    if (new Set(n.children).size !== n.children.length) problems.push(`${p} lists a child twice`);
    if (p === '/') continue;
    const parent = tree.get(parentOf(p));
    if (!parent) problems.push(`${p} has no parent`);
    else if (!parent.children.includes(baseName(p))) problems.push(`${parentOf(p)} does not list ${p}`);
  }
  for (const [d, n] of owned) if (tree.ownedBy(d) !== n) problems.push(`domain ${d} owns ${n} nodes but is charged ${tree.ownedBy(d)}`);
  return problems;
}
