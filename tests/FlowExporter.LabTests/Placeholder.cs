namespace FlowExporter.LabTests;
