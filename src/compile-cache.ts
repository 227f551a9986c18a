/**
 * Node's module compile cache (V8 code cache on disk): later starts skip most of the compilation of
 * the ~2,000 modules the service loads. Imported first by instrument.ts and main.ts. Under the OS's
 * temporary directory (writable in the image, whose root FS may be read-only); Node's own
 * NODE_COMPILE_CACHE chooses another directory and NODE_DISABLE_COMPILE_CACHE=1 turns it off. A
 * directory that cannot be written only means no cache: Node reports it and the start goes on.
 */
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

try {
  enableCompileCache(join(tmpdir(), 'stackone-connect-service-compile-cache'));
} catch {
  // Best effort by design: a start without the cache is only slower.
}
