// MonoService URL — a NetTcpBinding (SecurityMode.None) service for interop tests.
//
// Hosts ICalculator at URL and IEcho at URL/echo, both on URL's port.
// Prints "ready <URL>" on stdout once both endpoints listen, then serves until
// stdin reaches EOF or the process gets SIGTERM/SIGINT; it closes the host and
// exits 0. Exit status 1 if the host cannot be opened.
//
// IEcho.Echo("fault") throws FaultException<string> (detail "the detail of the
// fault", reason "echo refused", code Sender with the subcode
// {urn:nettcp:sample}Refused).
// IEcho.Echo(text) returns "echo:<text> (caller=<identity>)". <identity> is the
// caller's name from ServiceSecurityContext. With SecurityMode.None Mono gives
// no security context at all (ServiceSecurityContext.Current is null), and the
// service says "anonymous"; it would say the same for an anonymous context.
using System;
using System.ServiceModel;
using System.Threading;
using Mono.Unix;
using Mono.Unix.Native;
using Microsoft.ServiceModel.Samples;

namespace NetTcpInterop
{
    [ServiceBehavior(InstanceContextMode = InstanceContextMode.PerSession)]
    public class SampleService : ICalculator, IEcho
    {
        public double Add(double n1, double n2) { return n1 + n2; }
        public double Subtract(double n1, double n2) { return n1 - n2; }
        public double Multiply(double n1, double n2) { return n1 * n2; }
        public double Divide(double n1, double n2) { return n1 / n2; }

        public string Echo(string text)
        {
            if (text == "fault")
                throw new FaultException<string>("the detail of the fault", new FaultReason("echo refused"),
                                                 new FaultCode("Sender", new FaultCode("Refused", "urn:nettcp:sample")));
            return "echo:" + text + " (caller=" + CallerName() + ")";
        }

        static string CallerName()
        {
            ServiceSecurityContext ctx = ServiceSecurityContext.Current;
            if (ctx == null || ctx.IsAnonymous || ctx.PrimaryIdentity == null
                || string.IsNullOrEmpty(ctx.PrimaryIdentity.Name))
                return "anonymous";
            return ctx.PrimaryIdentity.Name;
        }
    }

    public static class MonoService
    {
        public static NetTcpBinding Binding()
        {
            var b = new NetTcpBinding(SecurityMode.None);
            // The long echo (about 10 KB of text) is over the 8192-character
            // default string quota; raise it on both sides, as a WCF sample
            // sending such strings would. (With the default, Mono's service
            // drops the request without a fault and the client times out.)
            b.ReaderQuotas.MaxStringContentLength = 65536;
            return b;
        }

        public static int Main(string[] args)
        {
            if (args.Length != 1) {
                Console.Error.WriteLine("usage: MonoService.exe net.tcp://127.0.0.1:PORT/PATH");
                return 2;
            }
            string url = args[0].TrimEnd('/');
            // Signal handlers go in before the ready line, so a SIGTERM sent as
            // soon as the line is read finds them in place.
            var signals = new UnixSignal[] { new UnixSignal(Signum.SIGTERM), new UnixSignal(Signum.SIGINT) };
            var host = new ServiceHost(typeof(SampleService));
            NetTcpBinding binding = Binding();
            host.AddServiceEndpoint(typeof(ICalculator), binding, url);
            // Mono gives each listen URI its own TCP listener and cannot share a
            // port between two; so the echo endpoint's address is URL/echo but it
            // listens at URL, and the dispatcher tells the contracts apart by
            // the To header (URL vs URL/echo). Endpoints sharing a listen URI must
            // share the binding instance too.
            host.AddServiceEndpoint(typeof(IEcho), binding, url + "/echo", new Uri(url));
            try {
                host.Open();
            } catch (Exception e) {
                Console.Error.WriteLine("MonoService: cannot open " + url + ": " + e);
                return 1;
            }
            Console.Out.WriteLine("ready " + url);
            Console.Out.Flush();

            var stop = new ManualResetEvent(false);
            var stdin = new Thread(() => {
                try {
                    while (Console.In.ReadLine() != null) { }
                } catch (Exception) { }
                stop.Set();
            });
            stdin.IsBackground = true;
            stdin.Start();
            // Poll rather than block: a signal arriving just before WaitAny
            // starts waiting is otherwise now and then missed.
            var waiter = new Thread(() => {
                while (!signals[0].IsSet && !signals[1].IsSet)
                    UnixSignal.WaitAny(signals, 100);
                stop.Set();
            });
            waiter.IsBackground = true;
            waiter.Start();

            stop.WaitOne();
            try {
                host.Close(TimeSpan.FromSeconds(5));
            } catch (Exception) {
                host.Abort();
            }
            // Not "return 0": a listener thread of Mono's ServiceModel now and
            // then outlives host.Close and keeps the process from ending.
            Environment.Exit(0);
            return 0;
        }
    }
}
