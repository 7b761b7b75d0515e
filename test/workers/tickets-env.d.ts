// The R2 binding wrangler.toml declares (miniflare simulates the bucket locally), as the
// tickets test reads it through `env` from cloudflare:workers.
declare global {
  namespace Cloudflare {
    interface Env {
      ATTACHMENTS: R2Bucket;
    }
  }
}

export {};
