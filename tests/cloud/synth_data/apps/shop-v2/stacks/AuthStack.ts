import { Cognito, StackContext } from "sst/constructs";

export function AuthStack({ stack }: StackContext) {
  const auth = new Cognito(stack, "Auth", {
    login: ["email"],
    triggers: {
      preSignUp: "packages/functions/src/auth/preSignUp.handler",
      postConfirmation: {
        handler: "packages/functions/src/auth/postConfirmation.handler",
        timeout: 30,
      },
    },
  });

  stack.addOutputs({
    UserPoolId: auth.userPoolId,
    UserPoolClientId: auth.userPoolClientId,
    IdentityPoolId: auth.cognitoIdentityPoolId!,
  });

  return { auth };
}
