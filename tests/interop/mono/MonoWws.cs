// MonoWws URL-echo — a NetTcpBinding (SecurityMode.None) client for the
// IEcho of the WWSAPI service host (tests/wws/calc_service.c): a call, a
// typed fault set with WsSetFaultErrorDetail, a call that blocks its stub.
// Prints:
//   Echo(hi) = echo:hi (caller=anonymous)
//   Delay(-1) = FaultException<String>: <detail> | <reason>
//   Delay(20) = 20
// Exit status 0 if every call behaved as above; 1 otherwise (stderr says why).
using System;
using System.ServiceModel;

namespace NetTcpInterop.Wws
{
    [ServiceContract(Name = "IEcho", Namespace = "http://tempuri.org/")]
    public interface IEchoWws
    {
        [OperationContract]
        string Echo(string text);
        [OperationContract]
        [FaultContract(typeof(string))]
        int Delay(int ms);
    }

    public static class MonoWws
    {
        public static int Main(string[] args)
        {
            if (args.Length != 1) {
                Console.Error.WriteLine("usage: MonoWws.exe URL-echo");
                return 2;
            }
            var b = new NetTcpBinding(SecurityMode.None);
            b.OpenTimeout = b.SendTimeout = b.CloseTimeout = TimeSpan.FromSeconds(20);
            var f = new ChannelFactory<IEchoWws>(b, new EndpointAddress(args[0]));
            IEchoWws echo = f.CreateChannel();
            int rc = 0;
            try {
                Console.Out.WriteLine("Echo(hi) = " + echo.Echo("hi"));
                try {
                    echo.Delay(-1);
                    Console.Out.WriteLine("Delay(-1) = no fault");
                    rc = 1;
                } catch (FaultException<string> e) {
                    Console.Out.WriteLine("Delay(-1) = FaultException<String>: " + e.Detail + " | " + e.Message);
                }
                Console.Out.WriteLine("Delay(20) = " + echo.Delay(20));
                ((IClientChannel)echo).Close();
                f.Close();
            } catch (Exception e) {
                Console.Out.Flush();
                Console.Error.WriteLine("MonoWws: " + e);
                return 1;
            }
            return rc;
        }
    }
}
