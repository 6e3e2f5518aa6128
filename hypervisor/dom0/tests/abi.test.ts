// The numbers Dom0 keeps in its own files, compared with the real Xen headers
// compiled by gcc -m32 (Debian libxen-dev).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XS, XS_RING, XSD_ERRORS, XSD_SOCKMSG_SIZE, XENSTORE_PAYLOAD_MAX, XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX, XENSTORE_RING_SIZE } from '../xenstore/wire.js';
import { XENCONS } from '../console.js';
import * as B from '../blkif.js';

const C = String.raw`
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <xen/io/xs_wire.h>
#include <xen/io/console.h>
#include <xen/io/blkif.h>
#include <xen/io/xenbus.h>
#define P(name, v) printf("%s %ld\n", name, (long)(v))
int main(void) {
  P("XS_CONTROL", XS_CONTROL); P("XS_DIRECTORY", XS_DIRECTORY); P("XS_READ", XS_READ); P("XS_GET_PERMS", XS_GET_PERMS);
  P("XS_WATCH", XS_WATCH); P("XS_UNWATCH", XS_UNWATCH); P("XS_TRANSACTION_START", XS_TRANSACTION_START);
  P("XS_TRANSACTION_END", XS_TRANSACTION_END); P("XS_INTRODUCE", XS_INTRODUCE); P("XS_RELEASE", XS_RELEASE);
  P("XS_GET_DOMAIN_PATH", XS_GET_DOMAIN_PATH); P("XS_WRITE", XS_WRITE); P("XS_MKDIR", XS_MKDIR); P("XS_RM", XS_RM);
  P("XS_SET_PERMS", XS_SET_PERMS); P("XS_WATCH_EVENT", XS_WATCH_EVENT); P("XS_ERROR", XS_ERROR);
  P("XS_IS_DOMAIN_INTRODUCED", XS_IS_DOMAIN_INTRODUCED); P("XS_RESUME", XS_RESUME); P("XS_SET_TARGET", XS_SET_TARGET);
  P("XS_RESET_WATCHES", XS_RESET_WATCHES); P("XS_DIRECTORY_PART", XS_DIRECTORY_PART);
  for (unsigned i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) printf("err%u %s\n", i, xsd_errors[i].errstring);
  P("sockmsg", sizeof(struct xsd_sockmsg)); P("PAYLOAD_MAX", XENSTORE_PAYLOAD_MAX);
  P("ABS_PATH_MAX", XENSTORE_ABS_PATH_MAX); P("REL_PATH_MAX", XENSTORE_REL_PATH_MAX); P("RING_SIZE", XENSTORE_RING_SIZE);
  P("xs.req", offsetof(struct xenstore_domain_interface, req)); P("xs.rsp", offsetof(struct xenstore_domain_interface, rsp));
  P("xs.req_cons", offsetof(struct xenstore_domain_interface, req_cons)); P("xs.req_prod", offsetof(struct xenstore_domain_interface, req_prod));
  P("xs.rsp_cons", offsetof(struct xenstore_domain_interface, rsp_cons)); P("xs.rsp_prod", offsetof(struct xenstore_domain_interface, rsp_prod));
  P("xs.server_features", offsetof(struct xenstore_domain_interface, server_features));
  P("xs.connection", offsetof(struct xenstore_domain_interface, connection)); P("xs.error", offsetof(struct xenstore_domain_interface, error));
  P("cons.in", offsetof(struct xencons_interface, in)); P("cons.out", offsetof(struct xencons_interface, out));
  P("cons.inSize", sizeof(((struct xencons_interface *)0)->in)); P("cons.outSize", sizeof(((struct xencons_interface *)0)->out));
  P("cons.in_cons", offsetof(struct xencons_interface, in_cons)); P("cons.in_prod", offsetof(struct xencons_interface, in_prod));
  P("cons.out_cons", offsetof(struct xencons_interface, out_cons)); P("cons.out_prod", offsetof(struct xencons_interface, out_prod));
  P("BLKIF_OP_READ", BLKIF_OP_READ); P("BLKIF_OP_WRITE", BLKIF_OP_WRITE); P("BLKIF_OP_WRITE_BARRIER", BLKIF_OP_WRITE_BARRIER);
  P("BLKIF_OP_FLUSH_DISKCACHE", BLKIF_OP_FLUSH_DISKCACHE); P("BLKIF_OP_DISCARD", BLKIF_OP_DISCARD); P("BLKIF_OP_INDIRECT", BLKIF_OP_INDIRECT);
  P("BLKIF_MAX_SEGMENTS_PER_REQUEST", BLKIF_MAX_SEGMENTS_PER_REQUEST);
  P("BLKIF_RSP_OKAY", BLKIF_RSP_OKAY); P("BLKIF_RSP_ERROR", BLKIF_RSP_ERROR); P("BLKIF_RSP_EOPNOTSUPP", BLKIF_RSP_EOPNOTSUPP);
  P("sring.req_prod", offsetof(struct blkif_sring, req_prod)); P("sring.req_event", offsetof(struct blkif_sring, req_event));
  P("sring.rsp_prod", offsetof(struct blkif_sring, rsp_prod)); P("sring.rsp_event", offsetof(struct blkif_sring, rsp_event));
  P("sring.ring", offsetof(struct blkif_sring, ring)); P("entry", sizeof(union blkif_sring_entry));
  P("ring_size", __CONST_RING_SIZE(blkif, 4096));
  P("req.operation", offsetof(struct blkif_request, operation)); P("req.nr_segments", offsetof(struct blkif_request, nr_segments));
  P("req.handle", offsetof(struct blkif_request, handle)); P("req.id", offsetof(struct blkif_request, id));
  P("req.sector_number", offsetof(struct blkif_request, sector_number)); P("req.seg", offsetof(struct blkif_request, seg));
  P("req.size", sizeof(struct blkif_request));
  P("seg.gref", offsetof(struct blkif_request_segment, gref)); P("seg.first_sect", offsetof(struct blkif_request_segment, first_sect));
  P("seg.last_sect", offsetof(struct blkif_request_segment, last_sect)); P("seg.size", sizeof(struct blkif_request_segment));
  P("rsp.id", offsetof(struct blkif_response, id)); P("rsp.operation", offsetof(struct blkif_response, operation));
  P("rsp.status", offsetof(struct blkif_response, status)); P("rsp.size", sizeof(struct blkif_response));
  P("XenbusStateInitialising", XenbusStateInitialising); P("XenbusStateInitWait", XenbusStateInitWait);
  P("XenbusStateInitialised", XenbusStateInitialised); P("XenbusStateConnected", XenbusStateConnected);
  P("XenbusStateClosing", XenbusStateClosing); P("XenbusStateClosed", XenbusStateClosed);
  return 0;
}
`;

function headerFacts(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-dom0-abi-'));
  writeFileSync(join(dir, 'abi.c'), C);
  // Fails loudly when gcc-multilib or libxen-dev is missing (CI installs both).
  execFileSync('gcc', ['-m32', '-o', join(dir, 'abi'), join(dir, 'abi.c')], { stdio: 'pipe' });
  const out = execFileSync(join(dir, 'abi'), { encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

describe('Dom0 constants against the Xen headers (gcc -m32)', () => {
  const facts = headerFacts();
  const num = (k: string) => {
    const v = facts.get(k);
    if (v === undefined) throw new Error(`no fact ${k}`);
    return Number(v);
  };

  it('xs_wire.h message types, errors, limits and ring layout', () => {
    for (const [name, v] of Object.entries(XS)) expect(v, name).toBe(num(`XS_${name}`));
    expect(XSD_ERRORS.map((_, i) => facts.get(`err${i}`))).toEqual([...XSD_ERRORS]);
    expect(facts.get(`err${XSD_ERRORS.length}`)).toBeUndefined();
    expect(XSD_SOCKMSG_SIZE).toBe(num('sockmsg'));
    expect(XENSTORE_PAYLOAD_MAX).toBe(num('PAYLOAD_MAX'));
    expect(XENSTORE_ABS_PATH_MAX).toBe(num('ABS_PATH_MAX'));
    expect(XENSTORE_REL_PATH_MAX).toBe(num('REL_PATH_MAX'));
    expect(XENSTORE_RING_SIZE).toBe(num('RING_SIZE'));
    for (const [f, off] of Object.entries(XS_RING)) expect(off, f).toBe(num(`xs.${f}`));
  });

  it('console.h xencons_interface', () => {
    for (const [f, off] of Object.entries(XENCONS)) expect(off, f).toBe(num(`cons.${f}`));
  });

  it('blkif.h requests, responses, ring and xenbus states', () => {
    for (const k of ['BLKIF_OP_READ', 'BLKIF_OP_WRITE', 'BLKIF_OP_WRITE_BARRIER', 'BLKIF_OP_FLUSH_DISKCACHE', 'BLKIF_OP_DISCARD',
      'BLKIF_OP_INDIRECT', 'BLKIF_MAX_SEGMENTS_PER_REQUEST', 'BLKIF_RSP_OKAY', 'BLKIF_RSP_ERROR', 'BLKIF_RSP_EOPNOTSUPP'] as const) {
      expect(B[k], k).toBe(num(k));
    }
    for (const [f, off] of Object.entries(B.BLKIF_SRING)) expect(off, f).toBe(num(`sring.${f}`));
    expect(B.BLKIF_ENTRY_SIZE).toBe(num('entry'));
    expect(B.BLKIF_RING_SIZE).toBe(num('ring_size'));
    for (const [f, off] of Object.entries(B.BLKIF_REQ)) expect(off, f).toBe(num(`req.${f}`));
    for (const [f, off] of Object.entries(B.BLKIF_SEG)) expect(off, f).toBe(num(`seg.${f}`));
    for (const [f, off] of Object.entries(B.BLKIF_RSP)) expect(off, f).toBe(num(`rsp.${f}`));
    for (const s of ['Initialising', 'InitWait', 'Initialised', 'Connected', 'Closing', 'Closed'] as const) {
      expect(B.XenbusState[s], s).toBe(num(`XenbusState${s}`));
    }
  });
});

describe('Dom0 constants agree with hypervisor/public', () => {
  it('xenstore_domain_interface, xencons_interface and xsd_sockmsg', async () => {
    const pub = await import('../../public/structs.js');
    for (const [f, off] of Object.entries(XS_RING)) expect(off, f).toBe(pub.xenstore_domain_interface.offsetOf(f));
    for (const f of ['in', 'out', 'in_cons', 'in_prod', 'out_cons', 'out_prod'] as const) expect(XENCONS[f], f).toBe(pub.xencons_interface.offsetOf(f));
    expect(XSD_SOCKMSG_SIZE).toBe(pub.xsd_sockmsg.size);
  });
});
