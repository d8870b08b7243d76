// The two service contracts shared by MonoService and MonoClient, defined the
// way the stock WCF samples define them, so the actions, namespaces and body
// element names on the wire are WCF's defaults:
//   ICalculator  http://Microsoft.ServiceModel.Samples/ICalculator/Add (…/AddResponse), …
//   IEcho        http://tempuri.org/IEcho/Echo (…/EchoResponse)
using System.ServiceModel;

namespace Microsoft.ServiceModel.Samples
{
    [ServiceContract(Namespace = "http://Microsoft.ServiceModel.Samples")]
    public interface ICalculator
    {
        [OperationContract]
        double Add(double n1, double n2);
        [OperationContract]
        double Subtract(double n1, double n2);
        [OperationContract]
        double Multiply(double n1, double n2);
        [OperationContract]
        double Divide(double n1, double n2);
    }
}

namespace NetTcpInterop
{
    // No Namespace given: WCF's default, http://tempuri.org/.
    [ServiceContract]
    public interface IEcho
    {
        // Returns "echo:" + text + " (caller=" + identity + ")"; see MonoService.cs.
        // The text "fault" gets a FaultException<string> instead.
        [OperationContract]
        [FaultContract(typeof(string))]
        string Echo(string text);
    }
}
