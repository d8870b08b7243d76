// SvcutilClient URL — calls nettcp serve's IEcho through the EchoClient class
// that Mono's svcutil generated from the service's ?singleWsdl (compiled
// together with it by mono_svcutil.sh), over NetTcpBinding with
// SecurityMode.None, printing one line per result:
//   Echo = hi [caller: unauthenticated]
//   Delay = 5
//   Headers = 0
// Exit status 0 only if every call returned.
using System;
using System.ServiceModel;

public static class SvcutilClient
{
    public static int Main(string[] args)
    {
        if (args.Length != 1) {
            Console.Error.WriteLine("usage: SvcutilClient.exe URL");
            return 2;
        }
        try {
            var b = new NetTcpBinding(SecurityMode.None);
            b.OpenTimeout = b.SendTimeout = b.CloseTimeout = TimeSpan.FromSeconds(20);
            var e = new EchoClient(b, new EndpointAddress(args[0]));
            Console.WriteLine("Echo = " + e.Echo("hi"));
            Console.WriteLine("Delay = " + e.Delay(5));
            Console.WriteLine("Headers = " + e.Headers().Length);
            e.Close();
            return 0;
        } catch (Exception x) {
            Console.Error.WriteLine(x);
            return 1;
        }
    }
}
