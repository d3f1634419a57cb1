#!/usr/bin/env python3
# Regenerates prometheusrule.yaml and grafana-dashboard.yaml from prometheus/ (run from the repository root:
# python3 deploy/k8s-extras/generate.py). KubernetesExtrasTests fails when they differ from their sources.
import glob
def indent(text, n):
    return "".join((" " * n + line) if line.strip() else line for line in text.splitlines(True))
rules = ""
for f in sorted(glob.glob("prometheus/rules/*.yml")):
    lines = open(f).read().splitlines(True)
    i = next(k for k, l in enumerate(lines) if l.startswith("groups:"))
    rules += indent("".join(lines[i+1:]), 2)
open("deploy/k8s-extras/prometheusrule.yaml", "w").write(
"""# Generated from prometheus/rules/*.yml (the same rules; a test keeps them equal). Needs the Prometheus operator's CRDs.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: flowexporter
  namespace: flowexporter
  labels:
    app.kubernetes.io/name: flowexporter
spec:
  groups:
""" + rules)
dash = open("prometheus/grafana/flowexporter.json").read()
open("deploy/k8s-extras/grafana-dashboard.yaml", "w").write(
"""# Generated from prometheus/grafana/flowexporter.json (a test keeps them equal). Grafana's dashboard sidecar (the
# kube-prometheus-stack and Grafana Helm charts) loads ConfigMaps labelled grafana_dashboard: "1".
apiVersion: v1
kind: ConfigMap
metadata:
  name: flowexporter-dashboard
  namespace: flowexporter
  labels:
    app.kubernetes.io/name: flowexporter
    grafana_dashboard: "1"
data:
  flowexporter.json: |
""" + indent(dash if dash.endswith("\n") else dash + "\n", 4))
