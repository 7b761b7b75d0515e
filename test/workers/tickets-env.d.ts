// `env` from cloudflare:workers is the Worker's bindings (wrangler.toml plus the test's
// miniflare bindings; the ATTACHMENTS R2 bucket is simulated locally).
import type { WorkerBindings } from '../../edge/index.ts';

declare global {
  namespace Cloudflare {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface merge, not a new type
    interface Env extends WorkerBindings {}
  }
}
