using FlowExporter.Hosting;

using var stdout = Console.OpenStandardOutput();
return await ExporterProgram.RunAsync(args, stdout, Console.Error, Environment.GetEnvironmentVariables()).ConfigureAwait(false);
