// Runs the compiled consumer against the server at argv[2] and prints what it saw as JSON.
import { run } from "./consumer.js";

process.stdout.write(JSON.stringify(await run(process.argv[2])));
