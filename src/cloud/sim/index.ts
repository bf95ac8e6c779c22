/** The simulated vast.ai marketplace: what the rest of gpuops, its tests and benches use of it. */
export type { FailNextRule, FailStatus, FailTarget, SimEndpoint } from './failure-injector.ts';
export type { AdminInstanceView } from './instance-wire.ts';
export { BASE_DELAYS_MS } from './lifecycle-timing.ts';
export type { MachineSpec, Market } from './market.ts';
export type { SimAdmin, SimStateView } from './sim-admin.ts';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.ts';
export { adminKeyFile, runSimulatorForeground } from './simulator-foreground.ts';
export type { VastInstanceWire, VastOfferWire, VastSshKeyWire } from './wire-types.ts';
