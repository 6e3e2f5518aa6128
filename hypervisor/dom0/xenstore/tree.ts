// The XenStore tree: immutable nodes keyed by absolute path, each with a
// value, an ordered child list, permissions and a generation. A transaction
// works on a clone (nodes are shared until replaced), so a clone is cheap.

/** One entry of a node's permission list: XS_PERM_* as the wire spells it. */
export interface Perm { id: number; perm: 'r' | 'w' | 'b' | 'n' }

export interface XsNode {
  readonly value: Uint8Array;
  readonly children: readonly string[];
  /** perms[0] is the owner, and its letter is the access of every domain not listed. */
  readonly perms: readonly Perm[];
  readonly generation: number;
}

export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_OWNER = 4;

/** Access a domain has to a node, as xenstored's perm_for_conn computes it. */
export function permFor(domid: number, privileged: boolean, perms: readonly Perm[]): number {
  if (privileged || perms[0].id === domid) return PERM_READ | PERM_WRITE | PERM_OWNER;
  const hit = perms.slice(1).find((p) => p.id === domid) ?? perms[0];
  return letterMask(hit.perm);
}

function letterMask(l: Perm['perm']): number {
  return l === 'b' ? PERM_READ | PERM_WRITE : l === 'r' ? PERM_READ : l === 'w' ? PERM_WRITE : 0;
}

export function formatPerm(p: Perm): string { return `${p.perm}${p.id}`; }

export function parsePerm(s: string): Perm | undefined {
  const m = /^([rwbn])(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const id = Number(m[2]);
  return id > 0x7ff4 ? undefined : { perm: m[1] as Perm['perm'], id };
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string { return path.slice(path.lastIndexOf('/') + 1); }

export class Tree {
  /** Own nodes; in a transaction's overlay, null marks a node deleted there. */
  private nodes = new Map<string, XsNode | null>();
  /** Nodes owned (perms[0].id) by each domain, for the entry quota (in an overlay: the change). */
  private owned = new Map<number, number>();

  /**
   * A tree, or with `base` a transaction's copy-on-write overlay of it:
   * reads fall through to the live base until the transaction writes a node
   * (xenstored's way; the commit checks node generations, so a transaction
   * that saw a node change fails with EAGAIN instead of committing on it).
   */
  constructor(private readonly base?: Tree) {
    if (!base) this.put('/', { value: new Uint8Array(0), children: [], perms: [{ id: 0, perm: 'n' }], generation: 0 });
  }

  clone(): Tree { return new Tree(this); }

  get(path: string): XsNode | undefined {
    const own = this.nodes.get(path);
    if (own !== undefined) return own ?? undefined;
    return this.base?.get(path);
  }

  has(path: string): boolean { return this.get(path) !== undefined; }
  /** Nodes in a tree (for an overlay: the nodes it changed). */
  get size(): number { return this.nodes.size; }
  ownedBy(domid: number): number { return (this.base?.ownedBy(domid) ?? 0) + (this.owned.get(domid) ?? 0); }
  /** Every path of a tree (not meaningful on an overlay). */
  paths(): IterableIterator<string> { return this.nodes.keys(); }

  /** Store a node as is (the parent's child list is the caller's business). */
  put(path: string, node: XsNode): void {
    const old = this.get(path);
    if (old) this.count(old.perms[0].id, -1);
    this.nodes.set(path, node);
    this.count(node.perms[0].id, +1);
  }

  remove(path: string): void {
    const old = this.get(path);
    if (!old) return;
    this.count(old.perms[0].id, -1);
    if (this.base) this.nodes.set(path, null); else this.nodes.delete(path);
  }

  /** The path and every descendant, parents before children. */
  subtree(path: string): string[] {
    const out: string[] = [];
    const walk = (p: string) => {
      const n = this.get(p);
      if (!n) return;
      out.push(p);
      for (const c of n.children) walk(p === '/' ? `/${c}` : `${p}/${c}`);
    };
    walk(path);
    return out;
  }

  private count(domid: number, d: number): void {
    const n = (this.owned.get(domid) ?? 0) + d;
    if (n === 0) this.owned.delete(domid); else this.owned.set(domid, n);
  }
}
