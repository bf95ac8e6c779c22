import type { VastActualStatus, VastOfferWire } from './wire-types.ts';

export type TransitionKind = 'loading' | 'running' | 'stopped' | 'host-failure';

/** A status change the state machine has scheduled for an instance. */
export interface Transition {
  /** Epoch ms. */
  at: number;
  to: TransitionKind;
}

/** What the renter asked the instance to be (the body of its create request, as read). */
export interface InstanceRequest {
  image: string;
  env: Record<string, string>;
  disk: number;
  label: string | null;
  onstart: string | null;
  runtype: string;
  args: string[];
  /** Set for an interruptible (bid) rental. */
  bidPrice: number | null;
}

/** Everything the simulator keeps about an instance; plain JSON so it persists as is. */
export interface InstanceRecord extends InstanceRequest {
  id: number;
  offerId: number;
  machineId: number;
  /** The offer as it was rented, priced for this instance's disk. */
  offer: VastOfferWire;
  dphBase: number;
  dphTotal: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch seconds of the first time it reached running. */
  startDate: number | null;
  actualStatus: VastActualStatus | null;
  intendedStatus: 'running' | 'stopped';
  statusMsg: string | null;
  /** Status changes still to come, earliest first. */
  pending: Transition[];
  /** A start asked for while another renter held the GPUs; it runs when they come free. */
  queuedStart: boolean;
  /** The next load ends in a host failure (failure injection). */
  failWhileLoading: boolean;
  hostFailed: boolean;
  destroyed: boolean;
  destroyedAt: number | null;
  /** OpenSSH private host key of the instance's SSH endpoint. Never leaves the simulator. */
  hostKey: string;
}
