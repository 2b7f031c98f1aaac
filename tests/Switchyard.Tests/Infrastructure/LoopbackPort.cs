using System.Net;
using System.Net.Sockets;

namespace Switchyard.Tests.Infrastructure;

/// <summary>Loopback ports for servers a test starts itself (redis-server, nginx) or for a port nobody listens on.</summary>
public static class LoopbackPort
{
    /// <summary>A 127.0.0.1 port free right now (bound, then released).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
