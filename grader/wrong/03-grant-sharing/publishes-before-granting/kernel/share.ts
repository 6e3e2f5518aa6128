// Exercise 03: the two parts, granter (domain A) and mapper (domain B), talking through XenStore.
//
// The toolstack (the grader) has made a directory share/ in each domain's home that the peer may read, and put in
// it `peer` (the other domain's id) and, for the granter, `first-ref` (the first grant reference it may use:
// the entries below belong to other drivers). Each domain's secret is in its own data/secret, which the peer
// cannot read: the only way the secret reaches the peer is through the shared page.
//
//  round 1 (a writable grant)          A: grants page 1 (holding A's secret) to B, publishes share/domid and share/ref
//                                      B: maps it, reads A's secret (share/result), writes its own secret at offset
//                                         2048, says share/reply = "written", waits for A's share/ack, unmaps
//                                      A: reads B's secret from the page (share/result), acks, ends the grant once
//                                         B has unmapped it
//  round 2 (read-only, entry reused)   A: grants page 2 read-only (the same entry comes back), publishes share/ro-ref
//                                      B: asks for a writable mapping (Xen must refuse: share/rw-map = "refused"),
//                                         maps read-only (share/ro-result), unmaps, grant-copies the page
//                                         (share/copy-result), says share/reply = "ro-done"
//                                      A: ends the grant once B has unmapped it
// Fill in the two TODOs below (6 and 7), after kernel/grant.ts's five.
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { alloc_page, virt_to_mfn } from "minios/mm";
import { block_domain, monotonic_clock } from "minios/time";
import { xenbus_read, xenbus_write } from "minios/xenbus";
import { strcmp, strlcat, strlcpy, u32_to_dec } from "minios/string";
import { GNTST_permission_denied } from "xen/public";
import { copy_from_grant, end_access, grant_access, grant_refs_from, map_grant, unmap_grant } from "./grant";

/** Where the mapper maps the granter's pages: a page-aligned hole in our address space. */
const map_area = static_buffer<u8>(4096, 4096);
const path = static_buffer<u8>(128);
const value = static_buffer<u8>(128);
const secret = static_buffer<u8>(64);
const number = static_buffer<u8>(16);

/** Sleeps 200 microseconds of virtual time: the peer runs meanwhile. */
function nap(): void {
  block_domain(monotonic_clock() + 200000n);
}

/** Our own node share/<leaf> (relative to our home /local/domain/<our domid>). */
function own(leaf: cstr): Ptr<u8> {
  strlcpy(path, "share/", 128);
  strlcat(path, leaf, 128);
  return path;
}

/** The peer's node /local/domain/<peer>/share/<leaf>. */
function peers(peer: u32, leaf: cstr): Ptr<u8> {
  strlcpy(path, "/local/domain/", 128);
  u32_to_dec(peer, number);
  strlcat(path, number, 128);
  strlcat(path, "/share/", 128);
  strlcat(path, leaf, 128);
  return path;
}

function write_number(leaf: cstr, v: u32): i32 {
  u32_to_dec(v, number);
  return xenbus_write(0, own(leaf), number);
}

function read_number(p: CharPtr): i32 {
  if (xenbus_read(0, p, value, 128) < 0) return -1;
  let v: i32 = 0;
  for (let i: u32 = 0; value[i] >= char('0') && value[i] <= char('9'); i++) v = v * 10 + i32(value[i] - char('0'));
  return v;
}

/** Waits (up to 20 ms of virtual time) for the peer's node share/<leaf> to exist, then leaves it in `value`; false if it never came. */
function wait_peer(peer: u32, leaf: cstr, want: cstr): bool {
  for (let i: u32 = 0; i < 100; i++) {
    if (xenbus_read(0, peers(peer, leaf), value, 128) >= 0 && (ptr<u8>(want)[0] == 0 || strcmp(value, want) == 0)) return true;
    nap();
  }
  printk("gave up waiting for /local/domain/%u/share/%s\n", peer, leaf);
  return false;
}

/** Ends a grant, waiting while the peer still has it mapped. */
function end_when_unmapped(ref: u32): bool {
  for (let tries: u32 = 1; tries <= 100; tries++) {
    if (end_access(ref)) {
      printk("granter: ended ref %u (%u tries)\n", ref, tries);
      return true;
    }
    nap();
  }
  printk("granter: ref %u is still mapped by the peer\n", ref);
  return false;
}

export function granter(): bool {
  const peer = u32(read_number("share/peer"));
  const first = read_number("share/first-ref");
  const me = u32(read_number("domid"));
  if (xenbus_read(0, "data/secret", secret, 64) < 0 || first <= 0) {
    printk("granter: the toolstack left no share/first-ref or data/secret\n");
    return false;
  }
  grant_refs_from(u32(first));

  // Round 1: a writable grant.
  // wrong: publishes the reference the allocator will hand out (first-ref) before the entry is written
  write_number("domid", me);
  write_number("ref", u32(first));
  const page = ptr<u8>(alloc_page());
  strlcpy(page, secret, 64);
  const ref = grant_access(peer, virt_to_mfn(page), false);
  if (ref == 0) {
    printk("granter: grant_access gave no reference\n");
    return false;
  }
  // TODO 6: publish the grant for the mapper: write our domain id (me) to share/domid, then the reference to
  //         share/ref (write_number does both kinds). The mapper waits for share/ref, so write it last.
  printk("granter: domain %u granted a page to domain %u as ref %u\n", me, peer, ref);
  if (!wait_peer(peer, "reply", "written")) return false;
  xenbus_write(0, own("result"), page.add(2048));
  printk("granter: the mapper wrote \"%s\"\n", page.add(2048));
  xenbus_write(0, own("ack"), "1");
  if (!end_when_unmapped(ref)) return false;

  // Round 2: a read-only grant (the free ref comes back, so the entry is reused).
  const page2 = ptr<u8>(alloc_page());
  strlcpy(page2, "read-only ", 64);
  strlcat(page2, secret, 64);
  const ro = grant_access(peer, virt_to_mfn(page2), true);
  if (ro == 0) return false;
  write_number("ro-ref", ro);
  printk("granter: granted a read-only page as ref %u\n", ro);
  if (!wait_peer(peer, "reply", "ro-done")) return false;
  return end_when_unmapped(ro);
}

export function mapper(): bool {
  const peer = u32(read_number("share/peer"));
  if (xenbus_read(0, "data/secret", secret, 64) < 0) {
    printk("mapper: the toolstack left no data/secret\n");
    return false;
  }
  const va = u32(map_area);

  // Round 1.
  if (!wait_peer(peer, "ref", "")) return false;
  // TODO 7: read the grant the granter published: its reference (the share/ref just read is in `value`:
  //         read_number(peers(peer, "ref"))) and the granting domain (read_number(peers(peer, "domid"))).
  const ref = u32(read_number(peers(peer, "ref")));
  const granter_id = u32(read_number(peers(peer, "domid")));
  const h = map_grant(granter_id, ref, va, false);
  if (h < 0) {
    printk("mapper: mapping ref %u of domain %u failed: %d\n", ref, granter_id, h);
    return false;
  }
  printk("mapper: mapped ref %u of domain %u: \"%s\"\n", ref, granter_id, map_area);
  xenbus_write(0, own("result"), map_area);
  strlcpy(map_area.add(2048), secret, 64);
  wmb();
  xenbus_write(0, own("reply"), "written");
  if (!wait_peer(peer, "ack", "1")) return false;
  if (unmap_grant(va, u32(h)) != 0) return false;

  // Round 2.
  if (!wait_peer(peer, "ro-ref", "")) return false;
  const ro = u32(read_number(peers(peer, "ro-ref")));
  const w = map_grant(granter_id, ro, va, false);
  if (w >= 0) {
    printk("mapper: Xen let me map read-only ref %u writable!\n", ro);
    xenbus_write(0, own("rw-map"), "allowed");
    unmap_grant(va, u32(w));
  } else {
    printk("mapper: a writable mapping of ref %u was refused (%d)\n", ro, w);
    xenbus_write(0, own("rw-map"), w == GNTST_permission_denied ? "refused" : "failed");
  }
  const h2 = map_grant(granter_id, ro, va, true);
  if (h2 < 0) {
    printk("mapper: mapping ref %u read-only failed: %d\n", ro, h2);
    return false;
  }
  xenbus_write(0, own("ro-result"), map_area);
  if (unmap_grant(va, u32(h2)) != 0) return false;
  const copy = ptr<u8>(alloc_page());
  const c = copy_from_grant(granter_id, ro, 0, copy, 64);
  if (c != 0) {
    printk("mapper: grant copy failed: %d\n", c);
    return false;
  }
  xenbus_write(0, own("copy-result"), copy);
  xenbus_write(0, own("reply"), "ro-done");
  printk("mapper: done\n");
  return true;
}
