// Child process for durability.test.ts: the real command line, `appliance start`.
import { runCli } from '../../../appliance/cli.ts';

process.exitCode = await runCli(['start']);
