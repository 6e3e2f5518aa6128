// Node names as xenstored accepts them: absolute, or relative to the
// caller's home /local/domain/<domid>; characters [A-Za-z0-9-/_@], no empty
// component, no trailing slash; watches may also name "@special" nodes.
import { XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX } from './wire.js';

export const homeOf = (domid: number): string => `/local/domain/${domid}`;

const VALID = /^[A-Za-z0-9\-/_@]*$/;

/** Absolute form of `name` for domain `domid`, or undefined when xenstored would say EINVAL. */
export function canonicalPath(domid: number, name: string, allowSpecial = false): string | undefined {
  if (name.startsWith('@')) {
    return allowSpecial && /^@[A-Za-z0-9_\-]+$/.test(name) && name.length <= XENSTORE_REL_PATH_MAX ? name : undefined;
  }
  let abs: string;
  if (name.startsWith('/')) {
    if (name.length > XENSTORE_ABS_PATH_MAX) return undefined;
    abs = name;
  } else {
    if (name.length === 0 || name.length > XENSTORE_REL_PATH_MAX) return undefined;
    abs = `${homeOf(domid)}/${name}`;
  }
  if (!VALID.test(abs)) return undefined;
  if (abs === '/') return abs;
  if (abs.endsWith('/') || abs.includes('//')) return undefined;
  return abs;
}

/** The path to report in a watch event: relative if the watch was set relative. */
export function eventPath(domid: number, abs: string, relative: boolean): string {
  if (!relative) return abs;
  const home = homeOf(domid);
  if (abs.startsWith(home + '/')) return abs.slice(home.length + 1);
  return abs;
}

/** True when `path` is `watched` or below it. */
export function isUnder(path: string, watched: string): boolean {
  if (watched === '/') return path.startsWith('/');
  return path === watched || path.startsWith(watched + '/');
}
