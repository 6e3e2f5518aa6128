// Exercise 03 (grant sharing): the public definition and checks. The grader adds hidden checks from grader/checks/.
// Two domains boot the same kernel: "granter" (A) and "mapper" (B). The run setup (share-plan.ts) gives each a
// secret only it can read, watches every write to the granter's grant entries, and logs both domains' grant-table
// operations; the checks judge those observations and the XenStore afterwards, not what the kernels printed.
import { fail, lineOf, pass, quote, type Check, type CheckContext, type Exercise, type Verdict } from '../../grader/api.js';
import { GNTST, GTF } from '../../hypervisor/public/xen.js';
import { GRANTER, MAPPER, hypervisorFor, setupShare, type EntryState, type GrantOp, type ShareObservation } from './share-plan.js';

export const GRANT_FILE = 'kernel/grant.ts';
export const SHARE_FILE = 'kernel/share.ts';

/** "kernel/grant.ts:42 (TODO 1)": TODOs 1-5 are in grant.ts, 6-7 in share.ts. */
export function todo(ctx: CheckContext, n: number): string {
  const file = n <= 5 ? GRANT_FILE : SHARE_FILE;
  const line = lineOf(ctx.sources[file], `TODO ${n}`);
  return line ? `${file}:${line} (TODO ${n})` : `${file}, TODO ${n}`;
}

export function observation(ctx: CheckContext): ShareObservation | undefined {
  const o = ctx.run.extra as unknown as ShareObservation | undefined;
  return o && Array.isArray(o.entries) && Array.isArray(o.ops) ? o : undefined;
}

const STATUS = new Map<number, string>(Object.entries(GNTST).map(([k, v]) => [v, `GNTST_${k}`]));
export const statusName = (s: number | undefined): string => (s === undefined ? '?' : `${STATUS.get(s) ?? 'an unknown status'} (${s})`);

function flagNames(f: number): string {
  const names: string[] = [];
  const type = f & GTF.type_mask;
  names.push(['GTF_invalid', 'GTF_permit_access', 'GTF_accept_transfer', 'GTF_transitive'][type]!);
  if (f & GTF.readonly) names.push('GTF_readonly');
  if (f & GTF.reading) names.push('GTF_reading');
  if (f & GTF.writing) names.push('GTF_writing');
  return names.join('|');
}

export const describeEntry = (e: { flags: number; domid: number; frame: number }): string =>
  `flags ${flagNames(e.flags)}, domid ${e.domid}, frame 0x${e.frame.toString(16)}`;

export const permits = (e: { flags: number }): boolean => (e.flags & GTF.type_mask) === GTF.permit_access;

/** XenStore node share/<leaf> of a domain after the run. */
export function shared(ctx: CheckContext, domid: number, leaf: string): string | undefined {
  return ctx.run.xenstore?.[`/local/domain/${domid}/share/${leaf}`];
}

function domain(ctx: CheckContext, name: string) {
  return ctx.run.domains?.find((d) => d.name === name);
}

/** The state of entry `ref` just before instruction `at` (the last one the grader saw at or before it). */
export function entryAt(o: ShareObservation, ref: number, at: number): EntryState | undefined {
  let found: EntryState | undefined;
  for (const e of o.entries) if (e.ref === ref && e.at <= at) found = e;
  return found;
}

/** Refs the granter ever made a grant to the mapper with (permit_access, the mapper's domid, one of its own frames). */
function grantsToMapper(o: ShareObservation): number[] {
  return [...new Set(o.entries.filter((e) => permits(e) && e.domid === o.mapper && o.frameOwners[String(e.frame)] === o.granter).map((e) => e.ref))];
}

/** When entry `ref` names the granter's pfn of the shared page instead of its machine frame: what to tell. */
function pfnNotMfn(ctx: CheckContext, o: ShareObservation, ref: number, frame: number): { actual: string; hint: string } | undefined {
  const mfn = o.pfnGranted?.[String(frame)];
  if (mfn === undefined) return undefined;
  return {
    actual: `entry ${ref} names frame 0x${frame.toString(16)}, the granter's pseudo-physical frame number (pfn) of the page holding its secret; that page's machine frame is 0x${mfn.toString(16)}, and frame 0x${frame.toString(16)} is not that page`,
    hint: `an entry's frame is the machine frame of the page (virt_to_mfn(page), which looks the pfn up in mfn_list): Xen and the peer know nothing of the granter's pfns. See ${todo(ctx, 1)}`,
  };
}

const at = (n: number): string => n.toLocaleString('en-US');

/**
 * What the granter published before share/ref was not complete: share/domid came after it, or the entry did not yet
 * grant the mapper a page of the granter. On Xen the granter can be preempted right after writing share/ref, and the
 * mapper, which waits for share/ref, then reads the rest too early.
 */
export function publishedEarly(ctx: CheckContext, o: ShareObservation): { actual: string; hint: string } | undefined {
  const ref = o.published?.find((p) => p.node === 'ref');
  if (!ref) return undefined;
  const dom = o.published.find((p) => p.node === 'domid');
  const heldNote = o.held ? ` (this seed holds the granter from that moment until the mapper acts, as a preempted vCPU would be: the mapper read the store in between)` : '';
  if (!dom || dom.at > ref.at) {
    return {
      actual: `the granter wrote share/ref at instruction ${at(ref.at)} and share/domid ${dom ? `only later, at instruction ${at(dom.at)}` : 'never'}${heldNote}`,
      hint: `the mapper waits for share/ref and then reads share/domid: write share/domid first and share/ref last, so that whoever sees ref finds everything it needs. See ${todo(ctx, 6)}`,
    };
  }
  const n = Number(shared(ctx, o.granter, 'ref'));
  const e = entryAt(o, n, ref.at);
  if (Number.isInteger(n) && (!e || !permits(e) || e.domid !== o.mapper) && o.entries.some((x) => x.ref === n && permits(x) && x.domid === o.mapper)) {
    return {
      actual: `the granter wrote share/ref = ${n} at instruction ${at(ref.at)}, while entry ${n} did not yet grant the mapper access (${e ? describeEntry(e) : 'never written'})${heldNote}`,
      hint: `publish a reference only once grant_access has filled its entry (frame, domid, then flags): the mapper may map it the moment it sees share/ref. See ${todo(ctx, 1)} and ${todo(ctx, 6)}`,
    };
  }
  return undefined;
}

/** Why a map_grant_ref by the mapper failed, in terms of the granter's entry at that moment. */
function whyMapFailed(ctx: CheckContext, o: ShareObservation, op: GrantOp): { actual: string; hint: string } {
  const shown = `the mapper's map_grant_ref(ref ${op.ref}, domain ${op.granter}) ended with ${statusName(op.status)}`;
  const early = publishedEarly(ctx, o);
  if (early) return { actual: `${shown}: ${early.actual}`, hint: early.hint };
  if (op.granter !== o.granter) {
    return { actual: `${shown}: domain ${op.granter} is not the granter (domain ${o.granter})`, hint: `map_grant_ref's dom is the domain that made the grant, as published in its share/domid: see ${todo(ctx, 6)} and ${todo(ctx, 7)}` };
  }
  const e = entryAt(o, op.ref ?? -1, op.at);
  const made = grantsToMapper(o);
  if (!e || !permits(e)) {
    const other = made.find((r) => r !== op.ref);
    return {
      actual: `${shown}: at that moment entry ${op.ref} of the granter's table did not permit access (${e ? describeEntry(e) : 'it is not an entry the granter used'})`,
      hint: other !== undefined ? `the granter's grant to the mapper is entry ${other}: publish the reference grant_access returned, unchanged (see ${todo(ctx, 6)})`
        : `the granter must fill the entry (TODO 1) and publish the reference it got (see ${todo(ctx, 6)})`,
    };
  }
  if (e.domid !== o.mapper) {
    return { actual: `${shown}: entry ${op.ref} grants domain ${e.domid}, not the mapper (domain ${o.mapper}); ${describeEntry(e)}`, hint: `an entry's domid is the domain allowed to map it, the peer (share/peer)${e.domid === 0x7ff0 ? ', never DOMID_SELF' : ', not the granter itself'}: see ${todo(ctx, 1)}` };
  }
  if (o.frameOwners[String(e.frame)] !== o.granter) {
    const asPfn = pfnNotMfn(ctx, o, e.ref, e.frame);
    if (asPfn) return { actual: `${shown}: ${asPfn.actual}`, hint: asPfn.hint };
    return { actual: `${shown}: entry ${op.ref} names frame 0x${e.frame.toString(16)}, which is not a page of the granter`, hint: `an entry's frame is the machine frame of the page (virt_to_mfn), not its address or pfn: see ${todo(ctx, 1)}` };
  }
  if (!op.readonly && (e.flags & GTF.readonly)) {
    return { actual: `${shown}: entry ${op.ref} is read-only (${describeEntry(e)})`, hint: `a read-only grant can only be mapped with GNTMAP_readonly: see ${todo(ctx, 3)}` };
  }
  return { actual: shown, hint: `see ${todo(ctx, 3)}` };
}

/** The mapper's first successful map of one of the granter's grants (round 1: writable), or undefined. */
function firstGoodMap(o: ShareObservation): GrantOp | undefined {
  return o.ops.find((x) => x.dom === MAPPER && x.op === 'map' && x.status === 0 && x.rc === 0 && x.granter === o.granter);
}

function noObservation(): Verdict {
  return fail('a run of both domains', 'the run recorded no observations of the two domains', 'did both domains boot? look at the build and boot messages');
}

export const mapperReadsGranter: Check = {
  id: 'mapper-reads-granter',
  title: 'the mapper maps the granter\'s page and reads what the granter wrote there',
  weight: 3,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    const expected = `the mapper's share/result to hold the granter's secret (${quote(o.plan.secrets.granter)}), read through a mapping of its grant`;
    const got = shared(ctx, o.mapper, 'result');
    const good = firstGoodMap(o);
    if (good && got === o.plan.secrets.granter) return pass();
    if (got === o.plan.secrets.granter) {
      return fail(expected, 'the mapper wrote the secret, but it never mapped a grant of the granter (no successful GNTTABOP_map_grant_ref)',
        'the secret must travel through the shared page, not through XenStore or the console');
    }
    const maps = o.ops.filter((x) => x.dom === MAPPER && x.op === 'map');
    if (!good && maps.length > 0) {
      const bad = maps[0]!;
      if (bad.rc !== 0) return fail(expected, `the mapper's grant_table_op(GNTTABOP_map_grant_ref) returned ${bad.rc}`, `check the op struct and the count (1): see ${todo(ctx, 3)}`);
      const why = whyMapFailed(ctx, o, bad);
      return fail(expected, why.actual, why.hint);
    }
    if (!good) {
      if (grantsToMapper(o).length === 0) {
        const tried = o.entries.find((e) => permits(e));
        if (tried) return fail(expected, `the granter's only grant (entry ${tried.ref}: ${describeEntry(tried)}) is not for the mapper (domain ${o.mapper}) and one of its own pages`, `fill frame and domid as TODO 1 says: see ${todo(ctx, 1)}`);
        return fail(expected, 'the granter never granted a page: no entry of its grant table ever had GTF_permit_access',
          `write the entry in grant_access (see ${todo(ctx, 1)}), then publish the reference (see ${todo(ctx, 6)})`);
      }
      if (shared(ctx, o.granter, 'ref') === undefined) return fail(expected, 'the granter made a grant but never published it: it has no share/ref', `see ${todo(ctx, 6)}`);
      return fail(expected, 'the mapper never asked Xen to map the grant (no GNTTABOP_map_grant_ref)', `read the published reference and domid (see ${todo(ctx, 7)}) and map it (see ${todo(ctx, 3)})`);
    }
    const e = got === undefined ? undefined : entryAt(o, good.ref ?? -1, good.at);
    const pfn = e && pfnNotMfn(ctx, o, good.ref!, e.frame);
    if (pfn) return fail(expected, `the mapper read ${quote(got!)}: ${pfn.actual}`, pfn.hint);
    return fail(expected, got === undefined ? `the mapper mapped ref ${good.ref} but wrote no share/result` : `the mapper read ${quote(got)}`,
      got === undefined ? 'look at how the mapper ended below' : `map_grant must map the page at the address it is given (host_addr = va), so that the mapper reads the granter's page there: see ${todo(ctx, 3)}`);
  },
};

export const granterReadsMapper: Check = {
  id: 'granter-reads-mapper',
  title: 'the granter reads back what the mapper wrote into the shared page',
  weight: 2,
  dependsOn: ['mapper-reads-granter'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    const expected = `the granter's share/result to hold the mapper's secret (${quote(o.plan.secrets.mapper)}), written by the mapper into the shared page`;
    const got = shared(ctx, o.granter, 'result');
    if (got === o.plan.secrets.mapper) return pass();
    const good = firstGoodMap(o);
    if (good?.readonly) return fail(expected, `the mapper mapped ref ${good.ref} read-only, so it could not write`, `round 1's grant and mapping are writable: see ${todo(ctx, 1)} and ${todo(ctx, 3)}`);
    return fail(expected, got === undefined ? 'the granter wrote no share/result' : `the granter read ${quote(got)}`, 'both sides must use the same page: the granter reads offset 2048 of the page it granted');
  },
};

export const grantEntry: Check = {
  id: 'grant-entry',
  title: 'the grant entry names the mapper and the granter\'s page, and the published ref and domid are right',
  weight: 2,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    const expected = 'share/ref = a reference whose entry permits access to the mapper for a page of the granter, share/domid = the granter\'s domid';
    const pubRef = shared(ctx, o.granter, 'ref');
    const pubDom = shared(ctx, o.granter, 'domid');
    const made = grantsToMapper(o);
    if (pubRef === undefined) {
      const any = o.entries.find((e) => permits(e));
      return fail(expected, any ? `the granter wrote entry ${any.ref} (${describeEntry(any)}) but published no share/ref` : 'the granter granted nothing and published no share/ref',
        any ? `see ${todo(ctx, 6)}` : `see ${todo(ctx, 1)} and ${todo(ctx, 6)}`);
    }
    const ref = Number(pubRef);
    // The entry as it settled for its first grant (the last state before the grant ended): a half-written entry
    // is the hidden entry-order check's business.
    const all = o.entries.filter((e) => e.ref === ref);
    const first = all.findIndex((e) => permits(e));
    const ended = all.findIndex((e, i) => i > first && !permits(e));
    const settled = first < 0 ? undefined : all[(ended < 0 ? all.length : ended) - 1];
    const states = settled ? [settled] : [];
    if (states.length === 0) {
      return fail(expected, `the granter published ref ${quote(pubRef)}, but entry ${pubRef} of its table never permitted access${made.length ? `; its grant to the mapper is entry ${made[0]}` : ''}`,
        made.length ? `publish the reference grant_access returned (${made[0]}), unchanged: see ${todo(ctx, 6)}` : `see ${todo(ctx, 1)}`);
    }
    const wrongDom = states.find((e) => e.domid !== o.mapper);
    if (wrongDom) {
      return fail(expected, `entry ${ref} grants domain ${wrongDom.domid}, but the mapper is domain ${o.mapper} (${describeEntry(wrongDom)})`,
        `domid in a grant entry is the domain allowed to map it: the peer (share/peer)${wrongDom.domid === o.granter ? ', not the granter itself' : wrongDom.domid === 0x7ff0 ? '; DOMID_SELF means "the caller" only in hypercall arguments, never in an entry' : ''}. See ${todo(ctx, 1)}`);
    }
    const foreign = states.find((e) => o.frameOwners[String(e.frame)] !== o.granter);
    if (foreign) {
      const asPfn = pfnNotMfn(ctx, o, ref, foreign.frame);
      if (asPfn) return fail(expected, asPfn.actual, asPfn.hint);
      return fail(expected, `entry ${ref} names frame 0x${foreign.frame.toString(16)}, which is not one of the granter's pages`, `frame is the page's machine frame number (virt_to_mfn(page)): see ${todo(ctx, 1)}`);
    }
    const pfn = pfnNotMfn(ctx, o, ref, states[0]!.frame);
    if (pfn) return fail(expected, pfn.actual, pfn.hint);
    if (pubDom !== String(o.granter)) {
      return fail(expected, `the granter published share/domid = ${pubDom === undefined ? 'nothing' : quote(pubDom)}, but it is domain ${o.granter}`, `the mapper needs the granting domain's id for map_grant_ref: see ${todo(ctx, 6)}`);
    }
    const early = publishedEarly(ctx, o);
    if (early) return fail(`${expected}, both in place before share/ref appears`, early.actual, early.hint);
    return pass();
  },
};

export const waitsForUnmap: Check = {
  id: 'waits-for-unmap',
  title: 'the granter ends a grant only after the mapper has unmapped it (GTF_reading/GTF_writing clear)',
  weight: 2,
  dependsOn: ['mapper-reads-granter'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    if (!o.earlyEnd) return pass();
    const x = o.earlyEnd;
    return fail('the entry to stay as it is while Xen shows it in use (GTF_reading or GTF_writing set)',
      `at instruction ${x.at.toLocaleString('en-US')} the granter changed entry ${x.ref} to ${describeEntry(x)} while the mapper still had frame 0x${x.mappedFrame.toString(16)} mapped${x.writable ? ' writable' : ''}`,
      `ending a grant that is still mapped does not take the page back: the mapper keeps ${x.writable ? 'writing' : 'reading'} it while the granter reuses or frees it. end_access must return false while flags has GTF_reading or GTF_writing, and clear the flags with cmpxchg so that a map arriving meanwhile is noticed: see ${todo(ctx, 2)}`);
  },
};

export const readOnlyGrant: Check = {
  id: 'read-only-grant',
  title: 'a read-only grant refuses the mapper\'s writable mapping, and maps and reads read-only',
  weight: 2,
  dependsOn: ['mapper-reads-granter'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    const expected = 'round 2: the entry has GTF_readonly, Xen refuses a writable mapping (GNTST_permission_denied), the read-only mapping reads the page';
    const pub = shared(ctx, o.granter, 'ro-ref');
    if (pub === undefined) return fail(expected, 'the granter never published share/ro-ref (round 2 never started)', 'look at how the granter ended below');
    const ref = Number(pub);
    // Round 2's states of the entry: those after round 1's grant of it ended (flags cleared), or all if it is a fresh entry.
    const states = o.entries.filter((e) => e.ref === ref);
    const first = states.findIndex((e) => permits(e));
    const ended = states.findIndex((e, i) => i > first && !permits(e));
    const round2 = states.filter((e, i) => permits(e) && e.domid === o.mapper && (first < 0 || ended < 0 || i > ended || ref !== Number(shared(ctx, o.granter, 'ref'))));
    const writableGrant = round2.find((e) => !(e.flags & GTF.readonly));
    if (writableGrant) {
      return fail(expected, `the round-2 entry ${ref} was written without GTF_readonly (${describeEntry(writableGrant)})`,
        `grant_access(..., readonly = true) must OR GTF_readonly into flags: see ${todo(ctx, 1)}`);
    }
    const B = domain(ctx, MAPPER);
    if (B?.crash) {
      return fail(expected, `the mapper crashed: ${B.crash.reason} at 0x${B.crash.eip.toString(16)}`,
        'a read-only grant is mapped without _PAGE_RW: writing to it faults. Only read a read-only mapping');
    }
    const rw = o.ops.find((x) => x.dom === MAPPER && x.op === 'map' && x.ref === ref && !x.readonly && x.at >= (round2[0]?.at ?? Infinity));
    if (shared(ctx, o.mapper, 'rw-map') === 'allowed' || (rw && rw.status === 0)) {
      return fail(expected, `Xen mapped read-only ref ${ref} writable for the mapper`, `the entry must carry GTF_readonly: see ${todo(ctx, 1)}`);
    }
    const ro = o.ops.find((x) => x.dom === MAPPER && x.op === 'map' && x.ref === ref && x.readonly && x.status === 0);
    if (!ro) return fail(expected, 'the mapper never mapped the read-only grant with GNTMAP_readonly', `map_grant(..., readonly = true) must OR GNTMAP_readonly into the op's flags: see ${todo(ctx, 3)}`);
    const want = `read-only ${o.plan.secrets.granter}`;
    const got = shared(ctx, o.mapper, 'ro-result');
    if (got !== want) return fail(expected, `through its read-only mapping the mapper read ${got === undefined ? 'nothing' : quote(got)}`, `the page holds ${quote(want)}: see ${todo(ctx, 3)}`);
    return pass();
  },
};

export const grantCopy: Check = {
  id: 'grant-copy',
  title: 'the mapper copies the granter\'s page with GNTTABOP_copy',
  weight: 1,
  dependsOn: ['read-only-grant'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    const want = `read-only ${o.plan.secrets.granter}`;
    const expected = `a GNTTABOP_copy from the granter's read-only grant (GNTCOPY_source_gref) that brings ${quote(want)} into the mapper's page`;
    const copies = o.ops.filter((x) => x.dom === MAPPER && x.op === 'copy');
    if (copies.length === 0) return fail(expected, 'the mapper made no GNTTABOP_copy', `see ${todo(ctx, 5)}`);
    const c = copies[copies.length - 1]!;
    if (c.rc !== 0 || c.status !== 0) {
      const srcRef = (c.copyFlags ?? 0) & 1;
      return fail(expected, `the copy ended with ${c.rc !== 0 ? `result ${c.rc}` : statusName(c.status)}`,
        !srcRef ? `the source is a grant reference: set flags = GNTCOPY_source_gref (see ${todo(ctx, 5)})`
          : `source: u.ref, domid = the granter, offset; dest: u.gmfn = virt_to_mfn(dst), domid = DOMID_SELF; len; see ${todo(ctx, 5)}`);
    }
    const got = shared(ctx, o.mapper, 'copy-result');
    if (got !== want) return fail(expected, `the copy succeeded but the mapper's page then held ${got === undefined ? 'nothing' : quote(got)}`, `dest.u.gmfn is the machine frame of dst (virt_to_mfn), dest.offset 0: see ${todo(ctx, 5)}`);
    return pass();
  },
};

export const cleansUp: Check = {
  id: 'cleans-up',
  title: 'both domains power off with nothing left mapped or granted',
  weight: 2,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return noObservation();
    const expected = 'both domains powered off, the mapper with no grant mapped and the granter with no entry still granting access';
    if (o.stillMapped.length > 0) {
      const m = o.stillMapped[0]!;
      return fail(expected, `the mapper still had ref ${m.ref} of domain ${m.granter} mapped${m.writable ? ' writable' : ''} when the run ended${ctx.run.end === 'budget' ? ' (and the granter was still waiting for it)' : ''}`,
        `unmap every grant when done with it (GNTTABOP_unmap_grant_ref with the handle map_grant returned): see ${todo(ctx, 4)}; until then the granter cannot end its grant`);
    }
    const lastLine = (d: { console: string }) => d.console.trim().split('\n').slice(-1)[0] ?? '';
    const mapperDown = (ctx.run.domains ?? []).find((d) => d.name === MAPPER && (d.crash || d.state === 'crashed' || d.shutdownReason === 'crash'));
    if (o.stillGranted.length > 0 && mapperDown) {
      const g = o.stillGranted[0]!;
      const tail = lastLine(mapperDown);
      return fail(expected, `entry ${g.ref} of the granter still permits access, because the mapper crashed first${tail ? ` (its last line: ${quote(tail)})` : ''} before the granter could end it`,
        'fix what made the mapper fail (the mapper\'s last line, and the checks above, say what), then the granter can end its grant');
    }
    if (o.stillGranted.length > 0) {
      const g = o.stillGranted[0]!;
      return fail(expected, `entry ${g.ref} of the granter still permits access (${describeEntry(g)})`, `end every grant once the mapper has unmapped it: see ${todo(ctx, 2)}`);
    }
    const bad = (ctx.run.domains ?? []).find((d) => d.state !== 'shutdown' || d.shutdownReason !== 'poweroff');
    if (bad) {
      const how = bad.crash ? `crashed (${bad.crash.reason})` : bad.state === 'shutdown' ? `shut down with ${bad.shutdownReason}` : `was still running when the budget of ${ctx.run.budget.toLocaleString('en-US')} instructions ran out`;
      const tail = bad.console.trim().split('\n').slice(-1)[0] ?? '';
      return fail(expected, `the ${bad.name} ${how}${tail ? `; its last line: ${quote(tail)}` : ''}`, 'each part returns false (and the domain crashes) when a step fails: its last line says which');
    }
    return pass();
  },
};

/**
 * When a domain spun its CPU budget away, every failing check says so first: that, not the check's own symptom, is
 * the fault to fix.
 */
function tellsSpinning(check: Check): Check {
  return {
    ...check,
    run(ctx) {
      const v = check.run(ctx);
      const o = observation(ctx);
      const s = o?.spun?.[0];
      if (v.pass || !o || !s) return v;
      const where = ctx.locate(s.eip);
      return fail(v.expected,
        `the ${s.dom} ran its whole CPU budget of ${o.cpuBudget.toLocaleString('en-US')} instructions without sleeping (by instruction ${s.at.toLocaleString('en-US')} of the run) and was stopped${where ? ` at ${where}` : ''}; so: ${v.actual}`,
        `a domain waiting for its peer must look again at what it waits for each time round (the entry's flags with volatile_read, the XenStore node) and nap() between looks: a loop over a copy read once never ends${v.hint ? `. Then: ${v.hint}` : ''}`);
    },
  };
}

export const exercise: Exercise = {
  id: '03',
  slug: '03-grant-sharing',
  title: 'Sharing a page between two domains with grant tables',
  studentFiles: ['kernel/main.ts', GRANT_FILE, SHARE_FILE],
  sourceRoot: 'kernel',
  budget: 60_000_000,
  seed: 1,
  seeds: [1, 2, 3],
  memoryMiB: 16,
  domains: [{ name: GRANTER, cmdline: 'granter' }, { name: MAPPER, cmdline: 'mapper' }],
  hypervisor: hypervisorFor,
  setup: setupShare,
  checks: [mapperReadsGranter, granterReadsMapper, grantEntry, waitsForUnmap, readOnlyGrant, grantCopy, cleansUp].map(tellsSpinning),
};
