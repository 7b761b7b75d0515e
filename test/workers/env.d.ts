import type * as worker from '../../edge/index.ts';

// Tells `cloudflare:workers` exports which module is the Worker under test.
declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof worker;
    }
  }
}
