// Dom0's public surface: what the hypervisor, the CLI and the grader import.
// See README.md for how to wire it.
export type { GuestPort, GrantMapping } from './port.js';
export { Dom0, type DomainRings, type Dom0Options } from './dom0.js';
export { XenStore, DEFAULT_QUOTAS, type Quotas, type XsClient } from './xenstore/xenstored.js';
export { XsHandle } from './xenstore/handle.js';
export { XsConnection } from './xenstore/connection.js';
export { XenStoreRing } from './xenstore/ring-transport.js';
export { listenXenStore, type XenStoreSocket } from './xenstore/socket-server.js';
export { XsSocketClient, xenstoreLs } from './xenstore/socket-client.js';
export { XS, XSD_ERRORS, type XsError } from './xenstore/wire.js';
export { ConsoleBackend, XENCONS } from './console.js';
export { BlkbackDriver, VbdBackend, type BlkRequestView, type VbdHooks } from './blkback.js';
export { Toolstack, ToolstackError, type HypervisorControl, type DomainInfo } from './toolstack/toolstack.js';
export { ConfigError, parseDomainConfig, type DomainConfig, type DiskSpec } from './toolstack/config.js';
export { parseScenario, type Scenario } from './toolstack/scenario.js';
export { writeDomainNodes, writeVbdNodes, removeDomainNodes } from './toolstack/nodes.js';
export { xenControl, type XenHypervisor } from './toolstack/xen-control.js';
export { FakeGuestPort } from './testing/fake-port.js';
