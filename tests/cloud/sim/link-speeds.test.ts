import { beforeAll, describe, expect, it } from 'vitest';
import { cheapestOffer, newKeyPair, sshExec, useSimulator, waitForStatus } from '../../support/simulator.ts';

describe('simulated hosts with link speeds', () => {
  const { api } = useSimulator({ linkSpeeds: true });
  const key = newKeyPair();

  beforeAll(async () => {
    await api.registerKey(key.public);
  });

  async function runningOn(query: Record<string, unknown>) {
    const offer = await cheapestOffer(api, query);
    const created = await api.create(offer.id);
    const running = await waitForStatus(api, created.json.new_contract!, 'running');
    return { offer, target: { host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private } };
  }

  it("sends a command's output no faster than the offer's inet_up, every byte and then the exit status", async () => {
    const { offer, target } = await runningOn({ inet_up: { lte: 200 } });
    const upBytesPerSecond = (offer.inet_up * 1e6) / 8;
    // A second's worth at the host's uplink: unpaced, this machine moves it in a tenth of that.
    const bytes = Math.round(upBytesPerSecond);

    const started = performance.now();
    const sent = await sshExec(target, `head -c ${bytes} /dev/zero; echo done >&2; exit 3`);
    const seconds = (performance.now() - started) / 1000;

    expect(sent.stdout.length).toBe(bytes);
    expect(sent.stderr).toBe('done\n');
    expect(sent.code).toBe(3);
    // Paced, it cannot arrive sooner than its rate allows (less the link's tenth-of-a-second
    // burst), however idle the machine.
    expect(seconds).toBeGreaterThanOrEqual((bytes / upBytesPerSecond) * 0.85);
  });

  it("takes a client's input no faster than the offer's inet_down", async () => {
    const { offer, target } = await runningOn({ inet_down: { lte: 400 } });
    const downBytesPerSecond = (offer.inet_down * 1e6) / 8;
    const bytes = Math.round(downBytesPerSecond);

    const started = performance.now();
    const received = await sshExec(target, 'wc -c', Buffer.alloc(bytes, 1));
    const seconds = (performance.now() - started) / 1000;

    expect(received.stdout.trim()).toBe(String(bytes));
    expect(seconds).toBeGreaterThanOrEqual((bytes / downBytesPerSecond) * 0.85);
  });
});
