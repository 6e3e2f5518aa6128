// The hypervisor's public surface for the CLI, the grader and Dom0.
export { Hypervisor, type HypervisorOptions, type CreateDomainOptions, type RunResult } from './hypervisor.js';
export { BadKernelError, parseKernelImage, type KernelImage } from './kernel_image.js';
export { Domain, type DomainState, type ShutdownReason, type HypercallRecord, type HypercallListener, type CrashInfo } from './domain.js';
export { type Scheduler, RoundRobinScheduler } from './schedule.js';
export { type HostPort, type HostGrantMapping, DOM0 } from './host_port.js';
export { FrameTable, PageType } from './frames.js';
export { CreditScheduler, type CreditOptions } from './sched_credit.js';
export { auditMemory } from './audit.js';
export { hypercallPageBytes, planStartOfDay } from './domain_build.js';
