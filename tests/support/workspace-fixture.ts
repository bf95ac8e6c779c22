/** Shell commands that fill a workspace with every kind of entry and describe it exactly, run over SSH. */

/** A workspace with every kind of entry a snapshot must keep. */
export const WRITE_WORKSPACE = [
  'mkdir -p data/small "dir with spaces" empty/nested ckpt',
  'for i in $(seq 1 120); do echo "row $i" > data/small/f$i.txt; done',
  'head -c 6000000 /dev/urandom > ckpt/model.bin',
  ': > empty-file.txt && : > data/also-empty',
  'echo "naïve café ✓" > "dir with spaces/résumé — notes.txt"',
  'ln -s ckpt/model.bin latest.bin',
  'echo "#!/bin/sh" > run.sh && chmod 755 run.sh && chmod 600 data/small/f7.txt',
].join(' && ');

/** Every entry's type, mode and (for files) checksum, in a stable order. */
export const DESCRIBE_WORKSPACE =
  'find . -mindepth 1 -not -path \'./.*\' | LC_ALL=C sort | while IFS= read -r p; do if [ -L "$p" ]; then echo "L $p -> $(readlink "$p")"; elif [ -d "$p" ]; then echo "D $p $(stat -c %a "$p")"; else echo "F $p $(stat -c %a "$p") $(sha256sum < "$p" | cut -d\' \' -f1)"; fi; done';
