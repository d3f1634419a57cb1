# FlowExporter image: docker build -t ghcr.io/flowexporter/flowexporter:0.1.0 .
# (ghcr.io/flowexporter/flowexporter is a placeholder name: push to your own registry and set it in deploy/k8s/Kustomization.)
# Not built on the development machine (no container engine there): see docs/deploy.md for what was checked instead.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so that source edits do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
# src/Directory.Build.props adds the banned-API analyzer: restore must see it.
COPY src/Directory.Build.props src/
COPY src/Correlator/Correlator.csproj src/Correlator/
COPY src/FlowExporter/FlowExporter.csproj src/FlowExporter/
RUN dotnet restore src/FlowExporter/FlowExporter.csproj
COPY src/ src/
# Framework-dependent (the runtime image carries ASP.NET Core), with the native apphost `flowexporter`.
RUN dotnet publish src/FlowExporter/FlowExporter.csproj -c Release --no-restore -o /app \
      -p:UseAppHost=true -p:SelfContained=false -p:DebugType=none

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# libpcap for live capture. The package is libpcap0.8t64 on distributions after the 64-bit time_t transition
# (Ubuntu 24.04, which .NET 10's default tags use, and Debian 13), libpcap0.8 before it (Debian 12).
RUN apt-get update \
 && (apt-get install -y --no-install-recommends libpcap0.8t64 || apt-get install -y --no-install-recommends libpcap0.8) \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# The root filesystem is read-only in deploy/k8s: no diagnostics IPC socket in /tmp.
ENV DOTNET_EnableDiagnostics=0
EXPOSE 9004
# Runs as root: raw packet capture needs CAP_NET_RAW in the effective set, which Kubernetes grants (added
# capabilities) only to UID 0. A non-root user would need file capabilities (setcap cap_net_raw+ep) on the apphost
# and libcap in this image; that variant is not tried here. See docs/deploy.md.
USER 0
ENTRYPOINT ["/app/flowexporter"]
CMD ["--config", "/etc/flowexporter/config.yaml"]
