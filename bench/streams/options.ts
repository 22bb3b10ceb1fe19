import type { Transport } from './reader-protocol.js';

export interface StreamBenchOptions {
  sessions: number;
  /** Publications per second into the one channel. */
  rate: number;
  seconds: number;
  /** Reader processes per transport; 0: one per `SESSIONS_PER_READER` sessions. */
  readers: number;
  /** Sessions opened per second, over all readers. */
  ramp: number;
  transports: Transport[];
  pin: boolean;
}

/** Sessions one reader process holds by default: far below the open-file limit, one event loop's share. */
export const SESSIONS_PER_READER = 2500;

export const USAGE = `npm run bench:streams -- [--sessions 5000] [--rate 2] [--seconds 20] [--readers N] [--ramp 1000]
                          [--transports websocket,http_stream,sse] [--no-pin]

  --sessions N     sessions per transport, all subscribed to one channel (default 5000)
  --rate R         publications per second into that channel, through POST /api/publish (default 2)
  --seconds S      publishing time per transport (default 20)
  --readers N      reader processes per transport (default one per ${SESSIONS_PER_READER} sessions)
  --ramp N         sessions opened per second, all readers together (default 1000)
  --transports L   which transports, in order; websocket is the baseline of the ratios (default all three)
  --no-pin         leave the processes unpinned (default: engine on CPU 0, everything else on CPU 1)
`;

const TRANSPORTS: readonly Transport[] = ['websocket', 'http_stream', 'sse'];

/** The command line, or 'help'; a bad option throws with what was wrong. */
export function parseOptions(argv: readonly string[]): StreamBenchOptions | 'help' {
  // 2/s: one publication to 5,000 stream sessions took the engine about 160 ms of its core on the
  // 2-core development machine, so 5/s kept that core 70 % busy and any other load on the machine
  // pushed it past capacity (p99 in seconds); at 2/s it is a third busy.
  const o: StreamBenchOptions = { sessions: 5000, rate: 2, seconds: 20, readers: 0, ramp: 1000, transports: [...TRANSPORTS], pin: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const positive = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--sessions') o.sessions = Math.floor(positive());
    else if (a === '--rate') o.rate = positive();
    else if (a === '--seconds') o.seconds = positive();
    else if (a === '--readers') o.readers = Math.floor(positive());
    else if (a === '--ramp') o.ramp = positive();
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--transports') {
      const list = (argv[++i] ?? '').split(',').filter((t) => t !== '');
      const bad = list.find((t) => !(TRANSPORTS as readonly string[]).includes(t));
      if (list.length === 0 || bad !== undefined) throw new Error(`--transports takes a comma list of ${TRANSPORTS.join(', ')}`);
      o.transports = list as Transport[];
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (o.readers === 0) o.readers = Math.ceil(o.sessions / SESSIONS_PER_READER);
  if (o.readers > o.sessions) o.readers = o.sessions;
  return o;
}
