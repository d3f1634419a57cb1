using FlowExporter.Hosting;

// The entry point is the one place that touches the console (RS0030 bans System.Console everywhere else): the rest of
// the program writes to the streams it is handed and logs through ILogger.
#pragma warning disable RS0030
using var stdout = Console.OpenStandardOutput();
var stderr = Console.Error;
#pragma warning restore RS0030
return await ExporterProgram.RunAsync(args, stdout, stderr, Environment.GetEnvironmentVariables()).ConfigureAwait(false);
