namespace FlowExporter.Tests;
