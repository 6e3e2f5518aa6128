// The XenStore nodes the toolstack writes for a domain, as libxl does: the
// domain's home (read-only to the guest except data/, control/ and its
// device frontends), its console and store rings, and for every disk the
// backend directory under Dom0 and the frontend directory under the guest.
import type { XsHandle } from '../xenstore/handle.js';
import type { XsError } from '../xenstore/wire.js';
import { vdevOf, XenbusState } from '../blkif.js';
import type { DiskSpec } from './config.js';

export interface DomainNodes {
  domid: number;
  name: string;
  memoryMiB: number;
  storeMfn: number;
  storeEvtchn: number;
  consoleMfn: number;
  consoleEvtchn: number;
}

export const domainPath = (domid: number): string => `/local/domain/${domid}`;
/** Deterministic (no randomness in runs): the domid in the last group. */
export const uuidOf = (domid: number): string => `00000000-0000-4000-8000-${domid.toString(16).padStart(12, '0')}`;

/** Write a new domain's nodes in one transaction (retried on EAGAIN). */
export function writeDomainNodes(xs: XsHandle, d: DomainNodes): XsError | undefined {
  const home = domainPath(d.domid);
  const ro = ['n0', `r${d.domid}`];
  const rw = [`n${d.domid}`];
  const vm = `/vm/${uuidOf(d.domid)}`;
  return xs.transaction((tx) => {
    const steps: Array<() => XsError | undefined> = [
      () => xs.rm(home, tx),
      () => xs.mkdir(home, tx),
      () => xs.setPerms(home, ro, tx),
      () => xs.write(`${vm}/name`, d.name, tx),
      () => xs.write(`${vm}/uuid`, uuidOf(d.domid), tx),
      () => xs.write(`${home}/vm`, vm, tx),
      () => xs.write(`${home}/name`, d.name, tx),
      () => xs.write(`${home}/domid`, String(d.domid), tx),
      () => xs.write(`${home}/memory/static-max`, String(d.memoryMiB * 1024), tx),
      () => xs.write(`${home}/memory/target`, String(d.memoryMiB * 1024), tx),
      () => xs.write(`${home}/cpu/0/availability`, 'online', tx),
      () => xs.write(`${home}/store/ring-ref`, String(d.storeMfn), tx),
      () => xs.write(`${home}/store/port`, String(d.storeEvtchn), tx),
      () => xs.write(`${home}/console/ring-ref`, String(d.consoleMfn), tx),
      () => xs.write(`${home}/console/port`, String(d.consoleEvtchn), tx),
      () => xs.write(`${home}/console/limit`, '1048576', tx),
      () => xs.write(`${home}/console/type`, 'xenconsoled', tx),
      () => xs.write(`${home}/console/output`, 'pty', tx),
      () => xs.mkdir(`${home}/device`, tx),
      () => xs.mkdir(`${home}/control`, tx),
      () => xs.write(`${home}/control/shutdown`, '', tx),
      () => xs.setPerms(`${home}/control/shutdown`, rw, tx),
      () => xs.mkdir(`${home}/data`, tx),
      () => xs.setPerms(`${home}/data`, rw, tx),
      () => xs.mkdir(`${home}/error`, tx),
      () => xs.mkdir(`${home}/drivers`, tx),
      () => xs.setPerms(`${home}/drivers`, rw, tx),
      () => xs.mkdir(`${home}/attr`, tx),
      () => xs.setPerms(`${home}/attr`, rw, tx),
    ];
    for (const s of steps) { const e = s(); if (e) return e; }
    return undefined;
  });
}

export interface VbdNodes { frontendPath: string; backendPath: string; devid: number }

/** Write a disk's backend (Dom0) and frontend (guest) directories, both in Initialising. */
export function writeVbdNodes(xs: XsHandle, domid: number, disk: DiskSpec, backendDomid = 0): VbdNodes | XsError {
  const devid = vdevOf(disk.vdev);
  if (devid === undefined) return 'EINVAL';
  const fe = `${domainPath(domid)}/device/vbd/${devid}`;
  const be = `${domainPath(backendDomid)}/backend/vbd/${domid}/${devid}`;
  const err = xs.transaction((tx) => {
    const steps: Array<() => XsError | undefined> = [
      () => xs.mkdir(fe, tx),
      () => xs.setPerms(fe, [`n${domid}`, `r${backendDomid}`], tx),
      () => xs.write(`${fe}/backend`, be, tx),
      () => xs.write(`${fe}/backend-id`, String(backendDomid), tx),
      () => xs.write(`${fe}/virtual-device`, String(devid), tx),
      () => xs.write(`${fe}/device-type`, 'disk', tx),
      () => xs.write(`${fe}/state`, String(XenbusState.Initialising), tx),
      () => xs.mkdir(be, tx),
      () => xs.setPerms(be, [`n${backendDomid}`, `r${domid}`], tx),
      () => xs.write(`${be}/frontend`, fe, tx),
      () => xs.write(`${be}/frontend-id`, String(domid), tx),
      () => xs.write(`${be}/online`, '1', tx),
      () => xs.write(`${be}/removable`, '0', tx),
      () => xs.write(`${be}/bootable`, '1', tx),
      () => xs.write(`${be}/type`, 'file', tx),
      () => xs.write(`${be}/params`, disk.target, tx),
      () => xs.write(`${be}/mode`, disk.mode, tx),
      () => xs.write(`${be}/dev`, disk.vdev, tx),
      () => xs.write(`${be}/device-type`, 'disk', tx),
      () => xs.write(`${be}/state`, String(XenbusState.Initialising), tx),
    ];
    for (const s of steps) { const e = s(); if (e) return e; }
    return undefined;
  });
  return err ?? { frontendPath: fe, backendPath: be, devid };
}

/** Remove everything the toolstack wrote for a domain. */
export function removeDomainNodes(xs: XsHandle, domid: number): void {
  xs.rm(`/local/domain/0/backend/vbd/${domid}`);
  xs.rm(`/vm/${uuidOf(domid)}`);
  xs.rm(domainPath(domid));
}
