// MonoHeaders URL-echo [streamed] — a NetTcpBinding (SecurityMode.None) client
// for the IEcho sample of `nettcp serve`: SOAP headers and typed faults; with
// "streamed", Echo and Delay over TransferMode.Streamed instead. Prints:
//   Headers = {urn:nettcp:sample}Tenant=acme|{urn:x}Trace=t1
//   Unknown = <exception type>: <fault code>: <message>
//   Delay(-1) = FaultException<String>: <detail>
//   Delay(250) = 250
// Exit status 0 if every call behaved as above; 1 otherwise (stderr says why).
using System;
using System.ServiceModel;
using System.ServiceModel.Channels;

namespace NetTcpInterop.Plus
{
    // The same contract as the sample's IEcho, with its other operations.
    [ServiceContract(Name = "IEcho", Namespace = "http://tempuri.org/")]
    public interface IEchoPlus
    {
        [OperationContract]
        string Echo(string text);
        [OperationContract]
        string[] Headers();
        [OperationContract]
        [FaultContract(typeof(string))]
        int Delay(int ms);
    }

    public static class MonoHeaders
    {
        public static int Main(string[] args)
        {
            if (args.Length < 1 || args.Length > 2 || (args.Length == 2 && args[1] != "streamed")) {
                Console.Error.WriteLine("usage: MonoHeaders.exe URL-echo [streamed]");
                return 2;
            }
            var b = new NetTcpBinding(SecurityMode.None);
            b.OpenTimeout = b.SendTimeout = b.CloseTimeout = TimeSpan.FromSeconds(20);
            if (args.Length == 2) { // TransferMode.Streamed: singleton-unsized framing, msbin1
                b.TransferMode = TransferMode.Streamed;
                var sf = new ChannelFactory<IEchoPlus>(b, new EndpointAddress(args[0]));
                IEchoPlus s = sf.CreateChannel();
                try {
                    Console.Out.WriteLine("Streamed Echo = " + s.Echo("streamed"));
                    Console.Out.WriteLine("Streamed Delay(100) = " + s.Delay(100));
                    ((IClientChannel)s).Close();
                    sf.Close();
                } catch (Exception e) {
                    Console.Out.Flush();
                    Console.Error.WriteLine("MonoHeaders: " + e);
                    return 1;
                }
                return 0;
            }
            var f = new ChannelFactory<IEchoPlus>(b, new EndpointAddress(args[0]));
            IEchoPlus echo = f.CreateChannel();
            int rc = 0;
            try {
                ((IClientChannel)echo).Open();
                using (new OperationContextScope((IContextChannel)echo)) {
                    var h = OperationContext.Current.OutgoingMessageHeaders;
                    h.Add(MessageHeader.CreateHeader("Tenant", "urn:nettcp:sample", "acme", true));
                    h.Add(MessageHeader.CreateHeader("Trace", "urn:x", "t1"));
                    Console.Out.WriteLine("Headers = " + string.Join("|", echo.Headers()));
                }
                using (new OperationContextScope((IContextChannel)echo)) {
                    OperationContext.Current.OutgoingMessageHeaders.Add(
                        MessageHeader.CreateHeader("Unknown", "urn:x", "u", true));
                    try {
                        echo.Echo("never");
                        Console.Out.WriteLine("Unknown = no fault");
                        rc = 1;
                    } catch (FaultException e) {
                        Console.Out.WriteLine("Unknown = " + e.GetType().Name + ": " + e.Code.Name + ": " + e.Message);
                    }
                }
                try {
                    echo.Delay(-1);
                    Console.Out.WriteLine("Delay(-1) = no fault");
                    rc = 1;
                } catch (FaultException<string> e) {
                    Console.Out.WriteLine("Delay(-1) = FaultException<String>: " + e.Detail);
                }
                Console.Out.WriteLine("Delay(250) = " + echo.Delay(250));
                ((IClientChannel)echo).Close();
                f.Close();
            } catch (Exception e) {
                Console.Out.Flush();
                Console.Error.WriteLine("MonoHeaders: " + e);
                return 1;
            }
            return rc;
        }
    }
}
