// MonoClient URL-calc URL-echo — a NetTcpBinding (SecurityMode.None) client for
// interop tests. Opens one session per contract and makes several calls on
// each, printing one line per result:
//   Add(2,3) = 5
//   Subtract(10.5,4.25) = 6.25
//   Multiply(9,81.25) = 731.25
//   Divide(22,8) = 2.75
//   Echo(hello) = echo:hello (caller=anonymous)
//   Echo(<non-ASCII text>) = echo:<text> (caller=anonymous)
//   Echo(long 10240) = length <n> sha256 <hex of the UTF-8 reply>
// The long text is "0123456789" repeated 1024 times. The operands are exact in
// binary floating point, so the printed results are stable. Exit status 0 only
// if every call returned; 1 on any failure (the exception goes to stderr).
using System;
using System.Globalization;
using System.Security.Cryptography;
using System.ServiceModel;
using System.Text;
using Microsoft.ServiceModel.Samples;

namespace NetTcpInterop
{
    public static class MonoClient
    {
        static NetTcpBinding Binding()
        {
            var b = new NetTcpBinding(SecurityMode.None);
            b.ReaderQuotas.MaxStringContentLength = 65536; // as in MonoService
            // A dropped request makes Mono wait for the reply until SendTimeout
            // (1 min by default); fail sooner.
            b.OpenTimeout = b.SendTimeout = b.CloseTimeout = TimeSpan.FromSeconds(20);
            return b;
        }

        static string F(double d) { return d.ToString("R", CultureInfo.InvariantCulture); }

        static void Calc(ICalculator c, string op, double a, double b, Func<double, double, double> f)
        {
            Console.Out.WriteLine(op + "(" + F(a) + "," + F(b) + ") = " + F(f(a, b)));
        }

        public static int Main(string[] args)
        {
            if (args.Length != 2) {
                Console.Error.WriteLine("usage: MonoClient.exe URL-calc URL-echo");
                return 2;
            }
            Console.OutputEncoding = new UTF8Encoding(false);
            try {
                // Both sessions are opened before either is used or closed: Mono's
                // service now and then never answers the preamble of a connection
                // that arrives while it is closing the previous session.
                var cf = new ChannelFactory<ICalculator>(Binding(), new EndpointAddress(args[0]));
                var ef = new ChannelFactory<IEcho>(Binding(), new EndpointAddress(args[1]));
                ICalculator calc = cf.CreateChannel();
                IEcho echo = ef.CreateChannel();
                ((IClientChannel)calc).Open();
                ((IClientChannel)echo).Open();

                Calc(calc, "Add", 2, 3, calc.Add);
                Calc(calc, "Subtract", 10.5, 4.25, calc.Subtract);
                Calc(calc, "Multiply", 9, 81.25, calc.Multiply);
                Calc(calc, "Divide", 22, 8, calc.Divide);

                Console.Out.WriteLine("Echo(hello) = " + echo.Echo("hello"));
                string intl = "h\u00e9llo w\u00f6rld \u2713";
                Console.Out.WriteLine("Echo(" + intl + ") = " + echo.Echo(intl));
                var sb = new StringBuilder();
                for (int i = 0; i < 1024; i++)
                    sb.Append("0123456789");
                string reply = echo.Echo(sb.ToString());
                byte[] hash = SHA256.Create().ComputeHash(new UTF8Encoding(false).GetBytes(reply));
                Console.Out.WriteLine("Echo(long " + sb.Length + ") = length " + reply.Length + " sha256 "
                                      + BitConverter.ToString(hash).Replace("-", "").ToLowerInvariant());

                ((IClientChannel)calc).Close();
                ((IClientChannel)echo).Close();
                cf.Close();
                ef.Close();
            } catch (Exception e) {
                Console.Out.Flush();
                Console.Error.WriteLine("MonoClient: " + e);
                return 1;
            }
            return 0;
        }
    }
}
