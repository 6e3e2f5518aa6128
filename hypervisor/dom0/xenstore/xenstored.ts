// xenstored: the store, its clients, transactions, watches and quotas.
// Requests arrive as xsd_sockmsg messages from any transport (guest ring,
// Unix socket, host code); replies and watch events go back through the
// client's deliver(). Semantics follow C xenstored: Dom0 is privileged,
// owners get full access, quotas only bind unprivileged domains, and every
// failure is an XS_ERROR reply carrying one of xs_wire.h's error strings.
import { canonicalPath, eventPath, homeOf, isUnder } from './paths.js';
import { baseName, formatPerm, parentOf, parsePerm, PERM_OWNER, PERM_READ, PERM_WRITE, permFor, type Perm, Tree, type XsNode } from './tree.js';
import { bytes, joinStrings, splitStrings, text, XENSTORE_PAYLOAD_MAX, XS, type XsError, type XsMessage } from './wire.js';

/** A party talking to the store (a ring, a socket connection, host code). */
export interface XsClient {
  readonly domid: number;
  readonly privileged: boolean;
  /** A reply or a watch event for this client. */
  deliver(msg: XsMessage): void;
}

export interface Quotas {
  entriesPerDomain: number;
  /** Largest node (value plus bookkeeping) an unprivileged domain may write. */
  entrySize: number;
  watchesPerDomain: number;
  transactionsPerDomain: number;
  permsPerNode: number;
}

/** xenstored's defaults (xenstored_core.c). */
export const DEFAULT_QUOTAS: Quotas = { entriesPerDomain: 1000, entrySize: 2048, watchesPerDomain: 128, transactionsPerDomain: 10, permsPerNode: 5 };

/** What the host does when Dom0 introduces or releases a domain (connect its ring). */
export interface DomainHooks {
  introduce?(domid: number, mfn: number, evtchn: number): XsError | undefined;
  release?(domid: number): void;
}

interface Watch { name: string; abs: string; token: string; relative: boolean }

interface Transaction {
  id: number;
  tree: Tree;
  /** Generation of each node the transaction looked at, when it first did (-1: absent). */
  accessed: Map<string, number>;
  modified: Set<string>;
  changes: Change[];
}

interface Change { path: string; perms: readonly Perm[]; recursive: boolean }

interface ClientState { watches: Watch[]; transactions: Map<number, Transaction> }

interface Ctx { client: XsClient; tree: Tree; tx?: Transaction; changes: Change[] }

type Result = Uint8Array | XsError;
const OK = bytes('OK\0');
const isError = (r: Result): r is XsError => typeof r === 'string';

export class XenStore {
  tree = new Tree();
  readonly quotas: Quotas;
  readonly hooks: DomainHooks = {};
  /** Domains introduced, with their ring frame and event channel. */
  readonly domains = new Map<number, { mfn: number; evtchn: number }>();
  /** SET_TARGET: a device model domain acts as owner of its target's nodes. */
  private readonly targets = new Map<number, number>();
  private readonly clients = new Map<XsClient, ClientState>();
  private generation = 1;
  private nextTxId = 1;

  constructor(quotas: Partial<Quotas> = {}) {
    this.quotas = { ...DEFAULT_QUOTAS, ...quotas };
    for (const p of ['/local', '/local/domain', '/tool']) this.forceWrite(p, undefined);
  }

  attach(client: XsClient): void {
    if (!this.clients.has(client)) this.clients.set(client, { watches: [], transactions: new Map() });
  }

  /** Forget a client: its watches and open transactions go with it. */
  detach(client: XsClient): void { this.clients.delete(client); }

  watchCount(client: XsClient): number { return this.clients.get(client)?.watches.length ?? 0; }

  /** Handle one request; the reply (and any watch events) go to client.deliver. */
  handle(client: XsClient, msg: XsMessage): void {
    this.attach(client);
    const state = this.clients.get(client)!;
    let reply: Result;
    let after: (() => void) | undefined;
    try {
      if (msg.payload.length > XENSTORE_PAYLOAD_MAX) reply = 'E2BIG';
      else [reply, after] = this.dispatch(client, state, msg);
    } catch (e) {
      // A bug of ours must not take the host down; the guest sees EIO.
      reply = 'EIO';
    }
    if (isError(reply)) client.deliver({ type: XS.ERROR, reqId: msg.reqId, txId: msg.txId, payload: bytes(reply + '\0') });
    else client.deliver({ type: msg.type, reqId: msg.reqId, txId: msg.txId, payload: reply });
    after?.();
  }

  private dispatch(client: XsClient, state: ClientState, msg: XsMessage): [Result, (() => void)?] {
    const args = splitStrings(msg.payload);
    const priv = client.privileged;
    switch (msg.type) {
      case XS.WATCH: return this.watch(client, state, args);
      case XS.UNWATCH: return [this.unwatch(client, state, args)];
      case XS.TRANSACTION_START: return [this.transactionStart(client, state)];
      case XS.TRANSACTION_END: return [this.transactionEnd(state, msg.txId, args)];
      case XS.GET_DOMAIN_PATH: {
        const d = parseDomid(args[0]);
        return [d === undefined ? 'EINVAL' : bytes(homeOf(d) + '\0')];
      }
      case XS.INTRODUCE: return priv ? this.introduce(args) : ['EACCES'];
      case XS.RELEASE: return priv ? this.release(args) : ['EACCES'];
      case XS.IS_DOMAIN_INTRODUCED: {
        const d = parseDomid(args[0]);
        if (d === undefined) return ['EINVAL'];
        return [bytes(d === 0 || this.domains.has(d) ? 'T\0' : 'F\0')];
      }
      case XS.RESUME: {
        if (!priv) return ['EACCES'];
        const d = parseDomid(args[0]);
        return [d === undefined ? 'EINVAL' : this.domains.has(d) ? OK : 'ENOENT'];
      }
      case XS.SET_TARGET: {
        if (!priv) return ['EACCES'];
        const d = parseDomid(args[0]);
        const t = parseDomid(args[1]);
        if (d === undefined || t === undefined) return ['EINVAL'];
        this.targets.set(d, t);
        return [OK];
      }
      case XS.RESET_WATCHES:
        state.watches = [];
        state.transactions.clear();
        return [OK];
      case XS.CONTROL: return [priv ? OK : 'EACCES'];
      case XS.DIRECTORY: case XS.DIRECTORY_PART: case XS.READ: case XS.GET_PERMS:
      case XS.WRITE: case XS.MKDIR: case XS.RM: case XS.SET_PERMS:
        return this.nodeOp(client, state, msg, args);
      default: return ['EINVAL'];
    }
  }

  // ---- node operations, in or out of a transaction ----

  private nodeOp(client: XsClient, state: ClientState, msg: XsMessage, args: string[]): [Result] {
    let ctx: Ctx;
    if (msg.txId !== 0) {
      const tx = state.transactions.get(msg.txId);
      if (!tx) return ['ENOENT'];
      ctx = { client, tree: tx.tree, tx, changes: tx.changes };
    } else {
      ctx = { client, tree: this.tree, changes: [] };
    }
    const path = canonicalPath(client.domid, args[0] ?? '');
    if (path === undefined) return ['EINVAL'];
    let r: Result;
    switch (msg.type) {
      case XS.READ: r = this.read(ctx, path); break;
      case XS.DIRECTORY: r = this.directory(ctx, path); break;
      case XS.DIRECTORY_PART: r = this.directoryPart(ctx, path, args[1]); break;
      case XS.GET_PERMS: r = this.getPerms(ctx, path); break;
      case XS.WRITE: {
        const nul = msg.payload.indexOf(0);
        r = nul < 0 ? 'EINVAL' : this.write(ctx, path, msg.payload.slice(nul + 1));
        break;
      }
      case XS.MKDIR: r = this.mkdir(ctx, path); break;
      case XS.RM: r = this.rm(ctx, path); break;
      default: r = this.setPerms(ctx, path, args.slice(1)); break;
    }
    if (!ctx.tx) this.fire(ctx.changes);
    return [r];
  }

  private node(ctx: Ctx, path: string): XsNode | undefined {
    const n = ctx.tree.get(path);
    if (ctx.tx && !ctx.tx.accessed.has(path)) ctx.tx.accessed.set(path, n?.generation ?? -1);
    return n;
  }

  private perm(ctx: Ctx, n: XsNode): number {
    const { domid, privileged } = ctx.client;
    const p = permFor(domid, privileged, n.perms);
    const target = this.targets.get(domid);
    if (target !== undefined && n.perms[0].id === target) return PERM_READ | PERM_WRITE | PERM_OWNER;
    return p;
  }

  /** ENOENT for a missing node, unless the caller may not even read its nearest ancestor (EACCES, as xenstored). */
  private missing(ctx: Ctx, path: string): XsError {
    let p = parentOf(path);
    for (;;) {
      const n = this.node(ctx, p);
      if (n) return this.perm(ctx, n) & PERM_READ ? 'ENOENT' : 'EACCES';
      if (p === '/') return 'ENOENT';
      p = parentOf(p);
    }
  }

  private readable(ctx: Ctx, path: string): XsNode | XsError {
    const n = this.node(ctx, path);
    if (!n) return this.missing(ctx, path);
    return this.perm(ctx, n) & PERM_READ ? n : 'EACCES';
  }

  private read(ctx: Ctx, path: string): Result {
    const n = this.readable(ctx, path);
    return typeof n === 'string' ? n : n.value.slice();
  }

  private directory(ctx: Ctx, path: string): Result {
    const n = this.readable(ctx, path);
    if (typeof n === 'string') return n;
    const out = joinStrings(n.children);
    return out.length > XENSTORE_PAYLOAD_MAX ? 'E2BIG' : out;
  }

  /** "<generation>\0" then as many children as fit from byte `offset` of the list; a final empty string ends it. */
  private directoryPart(ctx: Ctx, path: string, offsetArg: string | undefined): Result {
    const n = this.readable(ctx, path);
    if (typeof n === 'string') return n;
    const offset = offsetArg !== undefined && /^\d+$/.test(offsetArg) ? Number(offsetArg) : NaN;
    const all = joinStrings(n.children);
    if (!Number.isSafeInteger(offset) || offset > all.length) return 'EINVAL';
    const head = bytes(`${n.generation}\0`);
    const room = XENSTORE_PAYLOAD_MAX - head.length - 1;
    let end = offset;
    while (end < all.length) {
      const next = all.indexOf(0, end) + 1;
      if (next - offset > room) break;
      end = next;
    }
    if (end === offset && end < all.length) return 'E2BIG';
    const body = all.slice(offset, end);
    const done = end === all.length;
    const out = new Uint8Array(head.length + body.length + (done ? 1 : 0));
    out.set(head, 0);
    out.set(body, head.length);
    return out;
  }

  private getPerms(ctx: Ctx, path: string): Result {
    const n = this.readable(ctx, path);
    return typeof n === 'string' ? n : joinStrings(n.perms.map(formatPerm));
  }

  private write(ctx: Ctx, path: string, value: Uint8Array): Result {
    if (path === '/') return 'EINVAL';
    const existing = this.node(ctx, path);
    if (existing) {
      if (!(this.perm(ctx, existing) & PERM_WRITE)) return 'EACCES';
      const tooBig = this.sizeCheck(ctx, path, value, existing.perms, existing.children);
      if (tooBig) return tooBig;
      this.put(ctx, path, { ...existing, value: value.slice(), generation: this.generation++ });
      return OK;
    }
    return this.create(ctx, path, value);
  }

  private mkdir(ctx: Ctx, path: string): Result {
    const n = this.node(ctx, path);
    if (n) return this.perm(ctx, n) & PERM_WRITE ? OK : 'EACCES';
    return this.create(ctx, path, new Uint8Array(0));
  }

  /** Create `path` and any missing parents, inheriting the nearest ancestor's permissions. */
  private create(ctx: Ctx, path: string, value: Uint8Array): Result {
    const missing: string[] = [];
    let p = path;
    let ancestor: XsNode | undefined;
    for (;;) {
      missing.push(p);
      p = parentOf(p);
      ancestor = this.node(ctx, p);
      if (ancestor) break;
    }
    if (!(this.perm(ctx, ancestor) & PERM_WRITE)) return 'EACCES';
    const { client } = ctx;
    const perms: Perm[] = ancestor.perms.map((x) => ({ ...x }));
    if (!client.privileged) perms[0] = { id: client.domid, perm: perms[0].perm };
    if (!client.privileged && ctx.tree.ownedBy(client.domid) + missing.length > this.quotas.entriesPerDomain) return 'ENOSPC';
    const tooBig = this.sizeCheck(ctx, path, value, perms, []);
    if (tooBig) return tooBig;
    // Parents first, so each child lands in its parent's list.
    for (let i = missing.length - 1; i >= 0; i--) {
      const np = missing[i];
      // xenstored fires watches for the node named in the request only; a watch on a new parent sees that path.
      this.put(ctx, np, { value: i === 0 ? value.slice() : new Uint8Array(0), children: [], perms, generation: this.generation++ }, i === 0);
      this.linkChild(ctx, np);
    }
    return OK;
  }

  private sizeCheck(ctx: Ctx, path: string, value: Uint8Array, perms: readonly Perm[], children: readonly string[]): XsError | undefined {
    if (ctx.client.privileged) return undefined;
    // The size xenstored accounts: header, permissions, value and child names.
    const size = 8 + perms.length * 4 + value.length + children.reduce((s, c) => s + c.length + 1, 0);
    void path;
    return size >= this.quotas.entrySize ? 'ENOSPC' : undefined;
  }

  private linkChild(ctx: Ctx, path: string): void {
    const parentPath = parentOf(path);
    const parent = ctx.tree.get(parentPath)!;
    const name = baseName(path);
    if (parent.children.includes(name)) return;
    this.put(ctx, parentPath, { ...parent, children: [...parent.children, name], generation: this.generation++ }, false);
  }

  private rm(ctx: Ctx, path: string): Result {
    if (path === '/') return 'EINVAL';
    const n = this.node(ctx, path);
    if (!n) {
      // Removing a node that is already gone is fine if its parent exists.
      const parent = this.node(ctx, parentOf(path));
      if (parent) return this.perm(ctx, parent) & PERM_READ ? OK : 'EACCES';
      return this.missing(ctx, path);
    }
    if (!(this.perm(ctx, n) & PERM_WRITE)) return 'EACCES';
    for (const p of ctx.tree.subtree(path).reverse()) {
      if (ctx.tx) { ctx.tx.modified.add(p); if (!ctx.tx.accessed.has(p)) ctx.tx.accessed.set(p, ctx.tree.get(p)!.generation); }
      ctx.tree.remove(p);
    }
    const parentPath = parentOf(path);
    const parent = this.node(ctx, parentPath)!;
    const name = baseName(path);
    this.put(ctx, parentPath, { ...parent, children: parent.children.filter((c) => c !== name), generation: this.generation++ }, false);
    ctx.changes.push({ path, perms: n.perms, recursive: true });
    return OK;
  }

  private setPerms(ctx: Ctx, path: string, permArgs: string[]): Result {
    const n = this.node(ctx, path);
    if (!n) return this.missing(ctx, path);
    const perms = permArgs.map(parsePerm);
    if (perms.length === 0 || perms.some((p) => p === undefined)) return 'EINVAL';
    const list = perms as Perm[];
    const { client } = ctx;
    if (!(this.perm(ctx, n) & PERM_OWNER)) return 'EACCES';
    if (!client.privileged) {
      if (list[0].id !== n.perms[0].id) return 'EPERM';
      if (list.length > this.quotas.permsPerNode) return 'ENOSPC';
    }
    this.put(ctx, path, { ...n, perms: list, generation: this.generation++ });
    return OK;
  }

  /** Store a node in the context's tree, remembering it for the transaction and for watches. */
  private put(ctx: Ctx, path: string, node: XsNode, notify = true): void {
    if (ctx.tx) ctx.tx.modified.add(path);
    ctx.tree.put(path, node);
    if (notify) ctx.changes.push({ path, perms: node.perms, recursive: false });
  }

  // ---- transactions ----

  private transactionStart(client: XsClient, state: ClientState): Result {
    if (!client.privileged && state.transactions.size >= this.quotas.transactionsPerDomain) return 'ENOSPC';
    const id = this.nextTxId;
    this.nextTxId = (this.nextTxId % 0xfffffffe) + 1;
    state.transactions.set(id, { id, tree: this.tree.clone(), accessed: new Map(), modified: new Set(), changes: [] });
    return bytes(`${id}\0`);
  }

  private transactionEnd(state: ClientState, txId: number, args: string[]): Result {
    const tx = state.transactions.get(txId);
    if (!tx) return 'ENOENT';
    if (args[0] !== 'T' && args[0] !== 'F') return 'EINVAL';
    state.transactions.delete(txId);
    if (args[0] === 'F') return OK;
    for (const [p, gen] of tx.accessed) {
      if ((this.tree.get(p)?.generation ?? -1) !== gen) return 'EAGAIN';
    }
    for (const p of tx.modified) {
      const n = tx.tree.get(p);
      if (n) this.tree.put(p, n); else this.tree.remove(p);
    }
    this.fire(tx.changes);
    return OK;
  }

  // ---- watches ----

  private watch(client: XsClient, state: ClientState, args: string[]): [Result, (() => void)?] {
    if (args.length < 2) return ['EINVAL'];
    const [name, token] = args;
    const abs = canonicalPath(client.domid, name, true);
    if (abs === undefined) return ['EINVAL'];
    if (state.watches.some((w) => w.name === name && w.token === token)) return ['EEXIST'];
    if (!client.privileged && state.watches.length >= this.quotas.watchesPerDomain) return ['E2BIG'];
    const w: Watch = { name, abs, token, relative: !name.startsWith('/') && !name.startsWith('@') };
    state.watches.push(w);
    // xenstored fires every new watch once, after the OK.
    return [OK, () => client.deliver({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: joinStrings([name, token]) })];
  }

  private unwatch(client: XsClient, state: ClientState, args: string[]): Result {
    if (args.length < 2) return 'EINVAL';
    const i = state.watches.findIndex((w) => w.name === args[0] && w.token === args[1]);
    void client;
    if (i < 0) return 'ENOENT';
    state.watches.splice(i, 1);
    return OK;
  }

  private fire(changes: Change[]): void {
    for (const ch of changes) {
      for (const [client, state] of this.clients) {
        for (const w of [...state.watches]) {
          let hit: string | undefined;
          if (ch.path.startsWith('@')) hit = w.abs === ch.path ? ch.path : undefined;
          else if (w.abs.startsWith('@')) hit = undefined;
          else if (isUnder(ch.path, w.abs)) hit = ch.path;
          else if (ch.recursive && isUnder(w.abs, ch.path)) hit = w.abs;
          if (hit === undefined) continue;
          if (!client.privileged && ch.perms.length && !(permFor(client.domid, false, ch.perms) & PERM_READ)) continue;
          const p = hit.startsWith('@') ? hit : eventPath(client.domid, hit, w.relative);
          client.deliver({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: joinStrings([p, w.token]) });
        }
      }
    }
  }

  // ---- domains ----

  private introduce(args: string[]): [Result] {
    const d = parseDomid(args[0]);
    const mfn = parseNumber(args[1]);
    const evtchn = parseNumber(args[2]);
    if (d === undefined || d === 0 || mfn === undefined || evtchn === undefined) return ['EINVAL'];
    const known = this.domains.get(d);
    if (known) return [known.mfn === mfn && known.evtchn === evtchn ? OK : 'EEXIST'];
    const err = this.hooks.introduce?.(d, mfn, evtchn);
    if (err) return [err];
    this.domains.set(d, { mfn, evtchn });
    this.fire([{ path: '@introduceDomain', perms: [], recursive: false }]);
    return [OK];
  }

  private release(args: string[]): [Result] {
    const d = parseDomid(args[0]);
    if (d === undefined || d === 0) return ['EINVAL'];
    if (!this.domains.has(d)) return ['ENOENT'];
    this.domains.delete(d);
    this.targets.delete(d);
    this.hooks.release?.(d);
    for (const c of [...this.clients.keys()]) if (c.domid === d) this.detach(c);
    this.fire([{ path: '@releaseDomain', perms: [], recursive: false }]);
    return [OK];
  }

  /** Host-side write used at start-up (no permission checks, no watches). */
  private forceWrite(path: string, value: string | undefined): void {
    const ctx: Ctx = { client: { domid: 0, privileged: true, deliver() {} }, tree: this.tree, changes: [] };
    if (value === undefined) this.mkdir(ctx, path); else this.write(ctx, path, bytes(value));
  }

  /** Number of nodes, and a digest of everything below `path`: for tests that check nothing else changed. */
  snapshot(path = '/'): string {
    return this.tree.subtree(path).map((p) => {
      const n = this.tree.get(p)!;
      return `${p}=${JSON.stringify(text(n.value))} ${n.perms.map(formatPerm).join(',')}`;
    }).join('\n');
  }
}

function parseNumber(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

function parseDomid(s: string | undefined): number | undefined {
  const n = parseNumber(s);
  return n !== undefined && n < 0x7ff0 ? n : undefined;
}
