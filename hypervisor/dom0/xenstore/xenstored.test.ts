import { describe, expect, it } from 'vitest';
import { XenStore } from './xenstored.js';
import { XsHandle } from './handle.js';
import { bytes, joinStrings, splitStrings, text, XS, XSD_ERRORS, type XsMessage } from './wire.js';

function setup() {
  const store = new XenStore();
  const dom0 = new XsHandle(store);
  // What the toolstack does for a new domain 5: its home, owned by Dom0, readable by it.
  dom0.mkdir('/local/domain/5');
  dom0.setPerms('/local/domain/5', ['n0', 'r5']);
  dom0.mkdir('/local/domain/5/data');
  dom0.setPerms('/local/domain/5/data', ['b5']);
  const dom5 = new XsHandle(store, 5);
  return { store, dom0, dom5 };
}

describe('xenstored nodes', () => {
  it('writes, reads, lists and removes, creating parents on the way', () => {
    const { dom0 } = setup();
    expect(dom0.write('/a/b/c', 'hello')).toBeUndefined();
    expect(dom0.read('/a/b/c')).toBe('hello');
    expect(dom0.read('/a/b')).toBe('');
    expect(dom0.directory('/a')).toEqual(['b']);
    dom0.write('/a/x', '1');
    expect(dom0.directory('/a')).toEqual(['b', 'x']);
    expect(dom0.rm('/a/b')).toBeUndefined();
    expect(dom0.read('/a/b/c')).toBeUndefined();
    expect(dom0.directory('/a')).toEqual(['x']);
    // Removing a missing node is fine when its parent exists, ENOENT otherwise (as xenstored).
    expect(dom0.rm('/a/nothing')).toBeUndefined();
    expect(dom0.rm('/nothing/below')).toBe('ENOENT');
    expect(dom0.rm('/')).toBe('EINVAL');
  });

  it('reports Xen error strings for missing nodes and bad names', () => {
    const { dom0 } = setup();
    expect(dom0.request(XS.READ, joinStrings(['/missing']))).toBe('ENOENT');
    for (const bad of ['/a//b', '/a/', '/a b', 'x'.repeat(2049), '/' + 'y'.repeat(3072)]) {
      expect(dom0.request(XS.READ, joinStrings([bad])), bad.slice(0, 10)).toBe('EINVAL');
    }
    expect(dom0.request(99, joinStrings(['/']))).toBe('EINVAL');
    for (const e of ['ENOENT', 'EACCES', 'EINVAL', 'EAGAIN', 'EEXIST', 'EISDIR', 'E2BIG', 'ENOSPC', 'EPERM']) expect(XSD_ERRORS).toContain(e);
  });

  it('resolves relative paths under /local/domain/<domid>', () => {
    const { dom0, dom5 } = setup();
    expect(dom5.write('data/key', 'v')).toBeUndefined();
    expect(dom0.read('/local/domain/5/data/key')).toBe('v');
    expect(dom5.read('data/key')).toBe('v');
    const r = dom5.request(XS.GET_DOMAIN_PATH, joinStrings(['7']));
    expect(text(r as Uint8Array)).toBe('/local/domain/7\0');
  });

  it('keeps values byte-exact, including NULs', () => {
    const { dom0 } = setup();
    const v = new Uint8Array([1, 0, 2, 0, 255]);
    const p = new Uint8Array([...bytes('/bin\0'), ...v]);
    expect(dom0.request(XS.WRITE, p)).toBeInstanceOf(Uint8Array);
    expect(Array.from(dom0.request(XS.READ, joinStrings(['/bin'])) as Uint8Array)).toEqual(Array.from(v));
  });
});

describe('xenstored permissions', () => {
  it('enforces owner and per-domain r/w/b/n, Dom0 privileged', () => {
    const { dom0, dom5, store } = setup();
    const dom6 = new XsHandle(store, 6);
    dom0.write('/secret', 's');
    expect(dom5.read('/secret')).toBeUndefined();
    expect(dom5.request(XS.READ, joinStrings(['/secret']))).toBe('EACCES');
    expect(dom5.write('/secret', 'x')).toBe('EACCES');
    dom0.setPerms('/secret', ['n0', 'r5']);
    expect(dom5.read('/secret')).toBe('s');
    expect(dom6.read('/secret')).toBeUndefined();
    expect(dom5.write('/secret', 'x')).toBe('EACCES');
    dom0.setPerms('/secret', ['r0', 'w5']);
    expect(dom6.read('/secret')).toBe('s'); // the owner's letter is everyone's default
    expect(dom5.write('/secret', 'x')).toBeUndefined();
    expect(dom5.read('/secret')).toBeUndefined(); // w only
    dom0.setPerms('/secret', ['n5']);
    expect(dom5.read('/secret')).toBe('x'); // owners get everything
    expect(dom0.getPerms('/secret')).toEqual(['n5']);
  });

  it('new nodes inherit the parent permissions, owned by their unprivileged creator', () => {
    const { dom0, dom5 } = setup();
    dom5.write('data/x', '1');
    expect(dom0.getPerms('/local/domain/5/data/x')).toEqual(['b5']);
    dom0.setPerms('/local/domain/5/data', ['n0', 'b5', 'r7']);
    dom5.write('data/y', '1');
    expect(dom0.getPerms('/local/domain/5/data/y')).toEqual(['n5', 'b5', 'r7']);
    expect(dom5.write('memory/target', '1')).toBe('EACCES'); // home is read-only to the guest
  });

  it('only the owner sets permissions, and a guest may not give a node away', () => {
    const { dom0, dom5 } = setup();
    dom5.write('data/x', '1');
    expect(dom5.setPerms('data/x', ['n5', 'r6'])).toBeUndefined();
    expect(dom5.setPerms('data/x', ['n6'])).toBe('EPERM');
    expect(dom5.setPerms('data/x', ['q5'])).toBe('EINVAL');
    expect(dom5.setPerms('/local/domain/5', ['b5'])).toBe('EACCES');
    expect(dom0.setPerms('/local/domain/5/data/x', ['n9'])).toBeUndefined();
  });

  it('hides whether a node exists below an unreadable parent', () => {
    const { dom0, dom5 } = setup();
    dom0.write('/hidden/a', '1');
    expect(dom5.request(XS.READ, joinStrings(['/hidden/zzz']))).toBe('EACCES');
    expect(dom5.request(XS.READ, joinStrings(['data/zzz']))).toBe('ENOENT');
  });
});

describe('xenstored transactions', () => {
  it('isolates until commit, then applies', () => {
    const { dom0 } = setup();
    const tx = dom0.transactionStart() as number;
    expect(tx).toBeGreaterThan(0);
    dom0.write('/t/a', '1', tx);
    expect(dom0.read('/t/a', tx)).toBe('1');
    expect(dom0.read('/t/a')).toBeUndefined();
    expect(dom0.transactionEnd(tx, true)).toBeUndefined();
    expect(dom0.read('/t/a')).toBe('1');
  });

  it('aborts on F and fails with EAGAIN when a node it used changed', () => {
    const { dom0, store } = setup();
    const other = new XsHandle(store);
    dom0.write('/t/a', '1');
    const tx = dom0.transactionStart() as number;
    expect(dom0.read('/t/a', tx)).toBe('1');
    dom0.write('/t/b', '2', tx);
    other.write('/t/a', 'changed');
    expect(dom0.transactionEnd(tx, true)).toBe('EAGAIN');
    expect(dom0.read('/t/b')).toBeUndefined();
    const tx2 = dom0.transactionStart() as number;
    dom0.write('/t/c', '3', tx2);
    expect(dom0.transactionEnd(tx2, false)).toBeUndefined();
    expect(dom0.read('/t/c')).toBeUndefined();
    expect(dom0.transactionEnd(tx2, true)).toBe('ENOENT');
    expect(dom0.read('/t/a', 12345)).toBeUndefined();
    expect(dom0.request(XS.READ, joinStrings(['/t/a']), 12345)).toBe('ENOENT');
  });

  it('does not conflict on unrelated nodes', () => {
    const { dom0, store } = setup();
    const other = new XsHandle(store);
    dom0.write('/u/a', '1');
    dom0.write('/v/b', '1');
    const tx = dom0.transactionStart() as number;
    dom0.write('/u/a', '2', tx);
    other.write('/v/b', '2');
    expect(dom0.transactionEnd(tx, true)).toBeUndefined();
    expect(dom0.read('/u/a')).toBe('2');
  });

  it('retries through XsHandle.transaction', () => {
    const { dom0, store } = setup();
    const other = new XsHandle(store);
    let tries = 0;
    const err = dom0.transaction((tx) => {
      tries++;
      const v = Number(dom0.read('/count', tx) ?? '0');
      if (tries === 1) other.write('/count', '10');
      return dom0.write('/count', String(v + 1), tx);
    });
    expect(err).toBeUndefined();
    expect(tries).toBe(2);
    expect(dom0.read('/count')).toBe('11');
  });
});

describe('xenstored watches', () => {
  it('fires once on registration, then on the subtree with the token', () => {
    const { dom0, store } = setup();
    const events: string[] = [];
    const w = new XsHandle(store);
    w.watch('/w', 'tok', (p, t) => events.push(`${p}|${t}`));
    expect(events).toEqual(['/w|tok']);
    dom0.write('/w/a/b', '1');
    dom0.write('/wx', '1'); // not below /w
    dom0.write('/other', '1');
    expect(events).toEqual(['/w|tok', '/w/a/b|tok']); // one event, for the node written
    events.length = 0;
    dom0.rm('/w');
    expect(events).toEqual(['/w|tok']);
    expect(w.watch('/w', 'tok', () => {})).toBe('EEXIST');
    expect(w.unwatch('/w', 'nope')).toBe('ENOENT');
    expect(w.unwatch('/w', 'tok')).toBeUndefined();
    dom0.write('/w/z', '1');
    expect(events).toEqual(['/w|tok']);
  });

  it('fires watches below a removed subtree, and relative watches get relative paths', () => {
    const { dom0, dom5 } = setup();
    const events: string[] = [];
    dom5.watch('data/dev/state', 'st', (p) => events.push(p));
    dom0.write('/local/domain/5/data/dev/state', '4');
    dom0.rm('/local/domain/5/data');
    expect(events).toEqual(['data/dev/state', 'data/dev/state', 'data/dev/state']);
  });

  it('does not tell a domain about nodes it may not read', () => {
    const { dom0, dom5 } = setup();
    const events: string[] = [];
    dom5.watch('/', 'all', (p) => events.push(p));
    dom0.write('/private', 'x');
    dom0.write('/local/domain/5/data/mine', 'y');
    expect(events).toEqual(['/', '/local/domain/5/data/mine']);
  });

  it('fires transaction changes only on commit', () => {
    const { dom0, store } = setup();
    const events: string[] = [];
    new XsHandle(store).watch('/t', 'x', (p) => events.push(p));
    const tx = dom0.transactionStart() as number;
    dom0.write('/t/a', '1', tx);
    expect(events).toEqual(['/t']);
    dom0.transactionEnd(tx, true);
    expect(events).toEqual(['/t', '/t/a']);
  });

  it('fires @introduceDomain and @releaseDomain, and answers IS_DOMAIN_INTRODUCED', () => {
    const { dom0, dom5, store } = setup();
    const seen: string[] = [];
    const hooked: string[] = [];
    store.hooks.introduce = (d, mfn, ev) => { hooked.push(`intro ${d} ${mfn} ${ev}`); return undefined; };
    store.hooks.release = (d) => { hooked.push(`release ${d}`); };
    dom0.watch('@introduceDomain', 'i', (p) => seen.push(p));
    dom0.watch('@releaseDomain', 'r', (p) => seen.push(p));
    const isIntro = (d: number) => text(dom0.request(XS.IS_DOMAIN_INTRODUCED, joinStrings([String(d)])) as Uint8Array);
    expect(isIntro(5)).toBe('F\0');
    expect(dom5.request(XS.INTRODUCE, joinStrings(['5', '100', '3']))).toBe('EACCES');
    expect(text(dom0.request(XS.INTRODUCE, joinStrings(['5', '100', '3'])) as Uint8Array)).toBe('OK\0');
    expect(isIntro(5)).toBe('T\0');
    expect(dom0.request(XS.INTRODUCE, joinStrings(['5', '101', '3']))).toBe('EEXIST');
    expect(text(dom0.request(XS.RELEASE, joinStrings(['5'])) as Uint8Array)).toBe('OK\0');
    expect(dom0.request(XS.RELEASE, joinStrings(['5']))).toBe('ENOENT');
    expect(seen).toEqual(['@introduceDomain', '@releaseDomain', '@introduceDomain', '@releaseDomain']);
    expect(hooked).toEqual(['intro 5 100 3', 'release 5']);
  });

  it('RESET_WATCHES drops the caller\'s watches and transactions', () => {
    const { dom0, dom5 } = setup();
    const events: string[] = [];
    dom5.watch('data', 't', (p) => events.push(p));
    const tx = dom5.transactionStart() as number;
    expect(text(dom5.request(XS.RESET_WATCHES, new Uint8Array(0)) as Uint8Array)).toBe('OK\0');
    dom0.write('/local/domain/5/data/q', '1');
    expect(events).toEqual(['data']);
    expect(dom5.transactionEnd(tx, true)).toBe('ENOENT');
  });
});

describe('xenstored quotas', () => {
  it('limits entries, node size, watches and transactions of unprivileged domains only', () => {
    const store = new XenStore({ entriesPerDomain: 5, watchesPerDomain: 2, transactionsPerDomain: 1 });
    const dom0 = new XsHandle(store);
    dom0.mkdir('/local/domain/5/data');
    dom0.setPerms('/local/domain/5/data', ['b5']);
    const dom5 = new XsHandle(store, 5);
    // data itself is owned by 5: one entry used.
    for (let i = 0; i < 4; i++) expect(dom5.write(`data/k${i}`, 'v')).toBeUndefined();
    expect(dom5.write('data/k4', 'v')).toBe('ENOSPC');
    expect(dom5.write('data/k0', 'x'.repeat(2100))).toBe('ENOSPC');
    expect(dom5.write('data/k0', 'x'.repeat(1000))).toBeUndefined();
    expect(dom0.write('/big', 'x'.repeat(4000))).toBeUndefined();
    expect(dom5.watch('data/a', '1', () => {})).toBeUndefined();
    expect(dom5.watch('data/b', '2', () => {})).toBeUndefined();
    expect(dom5.watch('data/c', '3', () => {})).toBe('E2BIG');
    expect(typeof dom5.transactionStart()).toBe('number');
    expect(dom5.transactionStart()).toBe('ENOSPC');
    dom5.rm('data/k1');
    expect(dom5.write('data/k4', 'v')).toBeUndefined();
  });
});

describe('xenstored directory listings', () => {
  it('DIRECTORY_PART pages a long child list with a generation', () => {
    const { dom0 } = setup();
    const names = Array.from({ length: 400 }, (_, i) => `child-number-${i}`);
    for (const n of names) dom0.write(`/big/${n}`, '');
    expect(dom0.directory('/big')).toBe('E2BIG');
    const got: string[] = [];
    let offset = 0;
    let gen: string | undefined;
    for (let round = 0; round < 10; round++) {
      const r = dom0.request(XS.DIRECTORY_PART, joinStrings(['/big', String(offset)])) as Uint8Array;
      expect(r.length).toBeLessThanOrEqual(4096);
      const parts = text(r).split('\0');
      gen ??= parts[0];
      expect(parts[0]).toBe(gen);
      const body = parts.slice(1);
      const finished = r[r.length - 1] === 0 && r[r.length - 2] === 0;
      const kids = body.filter((s) => s !== '');
      got.push(...kids);
      offset += kids.reduce((s, k) => s + k.length + 1, 0);
      if (finished) break;
    }
    expect(got).toEqual(names);
  });
});

describe('xenstored messages', () => {
  it('echoes req_id and tx_id and answers errors as XS_ERROR', () => {
    const store = new XenStore();
    const replies: XsMessage[] = [];
    const client = { domid: 0, privileged: true, deliver: (m: XsMessage) => replies.push(m) };
    store.handle(client, { type: XS.READ, reqId: 77, txId: 0, payload: joinStrings(['/nope']) });
    expect(replies[0]).toMatchObject({ type: XS.ERROR, reqId: 77, txId: 0 });
    expect(splitStrings(replies[0].payload)).toEqual(['ENOENT']);
    store.handle(client, { type: XS.TRANSACTION_START, reqId: 78, txId: 0, payload: joinStrings(['']) });
    const tx = Number(splitStrings(replies[1].payload)[0]);
    store.handle(client, { type: XS.WRITE, reqId: 79, txId: tx, payload: bytes('/q\0v') });
    expect(replies[2]).toMatchObject({ type: XS.WRITE, reqId: 79, txId: tx });
  });
});
