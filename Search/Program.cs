using Mnist.Search.Cli;

// Signals are taken over first thing: until then a SIGTERM or SIGINT kills the process by its default action (exit 143
// or 130 by the shell's count, SIGHUP 129), and the command tree's building and parsing took most of a second (audit-ops 10).
// Never disposed: a signal while the process exits is still a stop, not the default action (Termination).
var termination = new Termination();
return await SearchApp.RunAsync(args, termination);
