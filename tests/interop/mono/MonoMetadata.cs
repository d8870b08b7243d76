// MonoMetadata NETTCP_URL HTTP_URL — a NetTcpBinding (SecurityMode.None)
// ICalculator service whose WSDL Mono's ServiceMetadataBehavior publishes
// over HTTP GET at HTTP_URL?wsdl. Prints "ready" once open; serves until
// stdin reaches EOF.
using System;
using System.ServiceModel;
using System.ServiceModel.Description;
using Microsoft.ServiceModel.Samples;

namespace NetTcpInterop
{
    public class MetadataCalculator : ICalculator
    {
        public double Add(double n1, double n2) { return n1 + n2; }
        public double Subtract(double n1, double n2) { return n1 - n2; }
        public double Multiply(double n1, double n2) { return n1 * n2; }
        public double Divide(double n1, double n2) { return n1 / n2; }
    }

    public static class MonoMetadata
    {
        public static int Main(string[] args)
        {
            if (args.Length != 2) {
                Console.Error.WriteLine("usage: MonoMetadata.exe net.tcp://127.0.0.1:PORT/PATH http://127.0.0.1:PORT/PATH");
                return 2;
            }
            var host = new ServiceHost(typeof(MetadataCalculator));
            host.AddServiceEndpoint(typeof(ICalculator), new NetTcpBinding(SecurityMode.None), args[0]);
            var smb = new ServiceMetadataBehavior();
            smb.HttpGetEnabled = true;
            smb.HttpGetUrl = new Uri(args[1]);
            host.Description.Behaviors.Add(smb);
            try {
                host.Open();
            } catch (Exception e) {
                Console.Error.WriteLine("cannot open: " + e.Message);
                return 1;
            }
            Console.WriteLine("ready");
            Console.Out.Flush();
            while (Console.In.ReadLine() != null) { }
            host.Close();
            return 0;
        }
    }
}
