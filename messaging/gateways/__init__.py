"""The gateways behind studio.sms's sender interface: Aliyun SMS, Tencent Cloud SMS, WeChat."""
