using System.Net;

namespace KubeApiStandIn;

/// <summary>A kubeconfig for the stand-in: plain HTTP on loopback, a placeholder token (the stand-in checks none).</summary>
internal static class Kubeconfig
{
    public static string For(IPEndPoint endpoint) => $"""
        apiVersion: v1
        kind: Config
        clusters:
          - name: lab
            cluster:
              server: http://{endpoint}
        users:
          - name: lab
            user:
              token: lab-token
        contexts:
          - name: lab
            context:
              cluster: lab
              user: lab
        current-context: lab

        """;
}
